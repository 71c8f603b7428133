// The I/O half of the netlink backend: a NETLINK_XFRM socket (libmnl) that
// sends encoded requests in batches and matches every ACK to its request by
// sequence number. Receive buffers (which can hold key material from GETSA
// replies and dumps) are wiped after each use.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "xfrm/backend/backend.h"
#include "xfrm/netlink/xfrm_codec.h"

struct mnl_socket;

namespace ike::xfrm::netlink {

class XfrmSocket {
 public:
  // Requests per sendmsg and bytes per sendmsg; each request still gets its
  // own ACK.
  static constexpr size_t kMaxBatchMessages = 64;
  static constexpr size_t kMaxBatchBytes = 48 * 1024;
  static constexpr int kReplyTimeoutMs = 5000;

  // Opens and binds the socket; `groups` are XFRMNLGRP_* multicast groups to
  // join (for the event socket).
  static BackendResult<std::unique_ptr<XfrmSocket>> Open(const std::vector<unsigned>& groups = {});
  ~XfrmSocket();
  XfrmSocket(const XfrmSocket&) = delete;
  XfrmSocket& operator=(const XfrmSocket&) = delete;

  int fd() const;

  // Sends all requests (several per sendmsg) and waits for each ACK. Returns
  // one result per request, in order. Data replies (GETSA, ALLOCSPI,
  // GETPOLICY) go to on_reply(request_index, message) before their ACK.
  using ReplyFn = std::function<void(size_t, const MessageView&)>;
  std::vector<BackendResult<void>> Transact(std::vector<Request>& requests,
                                            const ReplyFn& on_reply = {});
  // One request; convenience over Transact.
  BackendResult<void> TransactOne(Request request, const ReplyFn& on_reply = {});

  // A dump request: every message of the answer goes to on_message until
  // NLMSG_DONE.
  BackendResult<void> Dump(Request request, const std::function<void(const MessageView&)>& on_message);

  // Reads the messages queued on the socket without blocking (for events).
  // Returns the number of datagrams read. ENOBUFS (events lost) is reported
  // as an error after the queue is drained.
  BackendResult<size_t> ReadPending(const std::function<void(const MessageView&)>& on_message);

 private:
  explicit XfrmSocket(mnl_socket* nl);
  // Receives one datagram into buf_ (blocking up to the timeout).
  BackendResult<size_t> Receive(int timeout_ms);
  void WipeReceiveBuffer(size_t used);

  mnl_socket* nl_ = nullptr;
  uint32_t portid_ = 0;
  uint32_t next_seq_ = 1;
  SecretBytes buf_;
};

}  // namespace ike::xfrm::netlink
