#include "xfrm/netlink/netlink_socket.h"

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/xfrm.h>
#include <openssl/crypto.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace ike::xfrm::netlink {
namespace {

constexpr size_t kReceiveBufferSize = 64 * 1024;

BackendError SysError(int err, std::string detail) {
  BackendError e;
  e.code = err == EPERM || err == EACCES ? BackendError::Code::kPermission
                                          : BackendError::Code::kSystem;
  e.sys_errno = err;
  e.detail = std::move(detail);
  if (e.code == BackendError::Code::kPermission) e.detail += " (missing CAP_NET_ADMIN)";
  return e;
}

}  // namespace

XfrmSocket::XfrmSocket(mnl_socket* nl) : nl_(nl), buf_(kReceiveBufferSize) {
  portid_ = mnl_socket_get_portid(nl_);
}

XfrmSocket::~XfrmSocket() {
  if (nl_) mnl_socket_close(nl_);
}

int XfrmSocket::fd() const { return mnl_socket_get_fd(nl_); }

BackendResult<std::unique_ptr<XfrmSocket>> XfrmSocket::Open(const std::vector<unsigned>& groups) {
  mnl_socket* nl = mnl_socket_open2(NETLINK_XFRM, SOCK_CLOEXEC);
  if (!nl) {
    int err = errno;
    BackendError e = SysError(err, "cannot open NETLINK_XFRM socket");
    if (err == EPROTONOSUPPORT) {
      e.code = BackendError::Code::kNotSupported;
      e.detail += " (kernel without CONFIG_XFRM_USER)";
    }
    return MakeUnexpected(std::move(e));
  }
  std::unique_ptr<XfrmSocket> sock(new XfrmSocket(nl));
  if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
    return MakeUnexpected(SysError(errno, "cannot bind NETLINK_XFRM socket"));
  }
  sock->portid_ = mnl_socket_get_portid(nl);
  int one = 1;
  // Extended ACKs carry the kernel's error text; capped ACKs stop the kernel
  // from echoing our request (with its keys) back in error messages.
  mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof one);
  mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof one);
  int rcvbuf = 4 * 1024 * 1024;
  if (setsockopt(sock->fd(), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0) {
    setsockopt(sock->fd(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  }
  for (unsigned group : groups) {
    if (mnl_socket_setsockopt(nl, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) < 0) {
      return MakeUnexpected(
          SysError(errno, "cannot join XFRM multicast group " + std::to_string(group)));
    }
  }
  return sock;
}

void XfrmSocket::WipeReceiveBuffer(size_t used) {
  OPENSSL_cleanse(buf_.data(), std::min(used, buf_.size()));
}

BackendResult<size_t> XfrmSocket::Receive(int timeout_ms) {
  pollfd p{fd(), POLLIN, 0};
  int r = poll(&p, 1, timeout_ms);
  if (r == 0) return MakeUnexpected(SysError(ETIMEDOUT, "no answer from the kernel"));
  if (r < 0) return MakeUnexpected(SysError(errno, "poll on NETLINK_XFRM socket"));
  ssize_t n = mnl_socket_recvfrom(nl_, buf_.data(), buf_.size());
  if (n < 0) return MakeUnexpected(SysError(errno, "receive on NETLINK_XFRM socket"));
  return static_cast<size_t>(n);
}

std::vector<BackendResult<void>> XfrmSocket::Transact(std::vector<Request>& requests,
                                                      const ReplyFn& on_reply) {
  std::vector<BackendResult<void>> results(requests.size());
  size_t start = 0;
  while (start < requests.size()) {
    // One batch: consecutive requests within the message and byte limits.
    size_t end = start;
    size_t bytes = 0;
    std::vector<iovec> iov;
    while (end < requests.size() && end - start < kMaxBatchMessages) {
      size_t len = requests[end].bytes().size();
      if (end > start && bytes + len > kMaxBatchBytes) break;
      requests[end].set_seq(next_seq_++);
      if (next_seq_ == 0) next_seq_ = 1;
      ByteView b = requests[end].bytes();
      iov.push_back(iovec{const_cast<uint8_t*>(b.data()), b.size()});
      bytes += len;
      ++end;
    }
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    msghdr msg{};
    msg.msg_name = &kernel;
    msg.msg_namelen = sizeof kernel;
    msg.msg_iov = iov.data();
    msg.msg_iovlen = iov.size();
    ssize_t sent = sendmsg(fd(), &msg, 0);
    if (sent < 0) {
      int err = errno;
      for (size_t i = start; i < end; ++i) {
        results[i] = MakeUnexpected(SysError(
            err, std::string(MessageTypeName(requests[i].type())) + " " + requests[i].what() +
                     ": send failed"));
      }
      start = end;
      continue;
    }
    // Collect one ACK per request of the batch.
    std::vector<bool> done(end - start, false);
    size_t pending = end - start;
    const uint32_t first_seq = requests[start].seq();
    auto index_of = [&](uint32_t seq) -> std::optional<size_t> {
      uint32_t off = seq - first_seq;  // unsigned wrap keeps this correct
      if (off >= end - start || requests[start + off].seq() != seq) return std::nullopt;
      return start + off;
    };
    while (pending > 0) {
      auto n = Receive(kReplyTimeoutMs);
      if (!n) {
        for (size_t i = start; i < end; ++i) {
          if (!done[i - start]) {
            BackendError e = n.error();
            e.detail = std::string(MessageTypeName(requests[i].type())) + " " +
                       requests[i].what() + ": " + e.detail;
            results[i] = MakeUnexpected(std::move(e));
          }
        }
        break;
      }
      auto messages = SplitMessages(ByteView(buf_.data(), *n));
      if (messages) {
        for (const MessageView& m : *messages) {
          if (m.pid != portid_ && m.pid != 0) continue;  // not addressed to us
          auto idx = index_of(m.seq);
          if (!idx || done[*idx - start]) continue;  // stale answer
          if (m.type == NLMSG_ERROR) {
            auto ack = DecodeAck(m);
            if (!ack) continue;
            if (ack->error != 0) {
              results[*idx] = MakeUnexpected(MapKernelError(-ack->error, requests[*idx].type(),
                                                            requests[*idx].what(), ack->extack));
            }
            done[*idx - start] = true;
            --pending;
          } else if (m.type != NLMSG_DONE && m.type != NLMSG_NOOP && on_reply) {
            on_reply(*idx, m);
          }
        }
      }
      WipeReceiveBuffer(*n);
    }
    start = end;
  }
  return results;
}

BackendResult<void> XfrmSocket::TransactOne(Request request, const ReplyFn& on_reply) {
  std::vector<Request> one;
  one.push_back(std::move(request));
  auto results = Transact(one, on_reply);
  return std::move(results[0]);
}

BackendResult<void> XfrmSocket::Dump(Request request,
                                     const std::function<void(const MessageView&)>& on_message) {
  request.set_seq(next_seq_++);
  if (next_seq_ == 0) next_seq_ = 1;
  ByteView b = request.bytes();
  if (mnl_socket_sendto(nl_, b.data(), b.size()) < 0) {
    return MakeUnexpected(SysError(errno, request.what() + ": send failed"));
  }
  const uint32_t seq = request.seq();
  for (;;) {
    IKE_ASSIGN_OR_RETURN(size_t n, Receive(kReplyTimeoutMs));
    auto messages = SplitMessages(ByteView(buf_.data(), n));
    bool finished = false;
    BackendResult<void> status;
    if (messages) {
      for (const MessageView& m : *messages) {
        if ((m.pid != portid_ && m.pid != 0) || m.seq != seq) continue;
        if (m.type == NLMSG_DONE) {
          finished = true;
        } else if (m.type == NLMSG_ERROR) {
          auto ack = DecodeAck(m);
          if (ack && ack->error != 0) {
            status = MakeUnexpected(
                MapKernelError(-ack->error, request.type(), request.what(), ack->extack));
          }
          finished = true;
        } else {
          on_message(m);
        }
      }
    }
    WipeReceiveBuffer(n);
    if (finished) return status;
  }
}

BackendResult<size_t> XfrmSocket::ReadPending(
    const std::function<void(const MessageView&)>& on_message) {
  size_t datagrams = 0;
  bool overrun = false;
  for (;;) {
    ssize_t n = recv(fd(), buf_.data(), buf_.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) {
        overrun = true;
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return MakeUnexpected(SysError(errno, "receive on XFRM event socket"));
    }
    ++datagrams;
    auto messages = SplitMessages(ByteView(buf_.data(), static_cast<size_t>(n)));
    if (messages) {
      for (const MessageView& m : *messages) on_message(m);
    }
    WipeReceiveBuffer(static_cast<size_t>(n));
  }
  if (overrun) {
    return MakeUnexpected(SysError(ENOBUFS, "XFRM event socket overrun: kernel events were lost"));
  }
  return datagrams;
}

}  // namespace ike::xfrm::netlink
