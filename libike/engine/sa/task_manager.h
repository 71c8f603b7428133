// TaskManager: runs exchanges for one IKE_SA (STYLE.md). It alone owns the
// message IDs (RFC 7296 2.2: window size 1), the retransmission schedule
// (2.1: exponential back-off, give up after a number of tries), the
// responder's cache of its last response (replayed for a retransmitted
// request), and the dropping of stale and future requests.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "libike/engine/sa/sa_context.h"
#include "libike/engine/task/task.h"
#include "libike/wire/message.h"

namespace ike::engine {

class TaskManager {
 public:
  // The IKE_SA the manager works for (an interface, not two std::function
  // members: those were 64 bytes of every IKE_SA).
  class Owner {
   public:
    // Creates the responder tasks for a request, in payload order; empty
    // if the exchange is not acceptable now.
    virtual std::vector<std::unique_ptr<Task>> ResponderTasks(const wire::Message& request) = 0;
    // Tears the IKE_SA down with a reason.
    virtual void Destroy(const std::string& reason) = 0;

   protected:
    ~Owner() = default;
  };

  TaskManager(SaContext& ctx, Owner& owner) : ctx_(ctx), owner_(owner) {}

  void Queue(std::unique_ptr<Task> task) { queued_.push_back(std::move(task)); }
  bool HasTask(TaskType type) const;
  // Whether a queued or active task satisfies `pred`.
  bool AnyTask(const std::function<bool(const Task&)>& pred) const;
  bool idle() const { return !outstanding_; }
  size_t queued() const { return queued_.size(); }
  // Type of the exchange we initiated and wait for, if any.
  std::optional<ExchangeType> outstanding_exchange() const {
    if (!outstanding_) return std::nullopt;
    return outstanding_->exchange;
  }
  std::vector<TaskType> active_types() const;

  // Starts the next queued exchange if none is outstanding.
  void InitiateNext();
  // A verified (decrypted) message for this IKE_SA. `raw` is the datagram
  // without the non-ESP marker (IKE_SA_INIT bytes go into the AUTH data).
  void OnMessage(const wire::Message& msg, ByteView raw);
  // Is `mid` the request we answered last (replay the cached response)?
  bool IsRetransmit(uint32_t mid) const {
    return has_response_ && expected_mid_ > 0 && mid == expected_mid_ - 1;
  }
  void ReplayResponse();
  void OnRetransmitTimer();
  // Drops every task (the IKE_SA goes away), letting them release resources.
  void AbortAll();
  // Responder: a request answered kDeferred is waiting.
  bool deferred() const { return deferred_ != nullptr; }
  // Builds and sends the response to the deferred request.
  void ResumeDeferred();
  // Responder: the message the tasks of the next request process instead
  // of the request itself (an IKE_AUTH that ends EAP rounds takes its SA,
  // TS and CP payloads from the first IKE_AUTH request).
  void SubstituteNextRequest(wire::Message msg) {
    substitute_ = std::make_unique<wire::Message>(std::move(msg));
  }

  uint32_t next_mid() const { return next_mid_; }
  uint32_t expected_mid() const { return expected_mid_; }
  unsigned retransmissions() const { return retransmissions_total_; }

  // IKE_SA rekey: the new SA starts with fresh message IDs.
  void ResetMessageIds() {
    next_mid_ = 0;
    expected_mid_ = 0;
  }

 private:
  struct Outstanding {
    uint32_t mid = 0;
    ExchangeType exchange = ExchangeType::kIkeSaInit;
    std::vector<Bytes> packets;
    unsigned tries = 0;
  };

  void HandleRequest(const wire::Message& msg, ByteView raw);
  void HandleResponse(const wire::Message& msg, ByteView raw);
  void BuildAndSendRequest();
  // Encodes (SK-protected except IKE_SA_INIT) and fragments if enabled.
  std::optional<std::vector<Bytes>> Encode(const wire::Message& msg);
  void Send(const std::vector<Bytes>& packets, bool response = false);
  void SendErrorResponse(const wire::Message& request, const TaskError& error);
  // Responder: Build of `tasks` into the response to `request`, then send.
  void Respond(const wire::Message& request, std::vector<std::unique_ptr<Task>>& tasks);
  void FailRequest(const wire::Message& request, std::vector<std::unique_ptr<Task>>& tasks,
                   Task& task, const TaskError& error);
  Duration RetransmitTimeout(unsigned tries) const;

  SaContext& ctx_;
  Owner& owner_;

  // A vector, not a deque: libstdc++'s deque allocates ~600 bytes up front,
  // for every IKE_SA, and this queue is short and mostly empty.
  std::vector<std::unique_ptr<Task>> queued_;
  std::vector<std::unique_ptr<Task>> active_;
  // Initiator: tasks of the outstanding exchange waiting for a task that
  // continues alone (kContinueAlone).
  std::vector<std::unique_ptr<Task>> held_;
  struct Deferred {
    wire::Message request;
    std::vector<std::unique_ptr<Task>> tasks;
  };
  // Both rare (EAP rounds, a RADIUS backend): behind pointers, not inline
  // in every IKE_SA.
  std::unique_ptr<Deferred> deferred_;
  std::unique_ptr<wire::Message> substitute_;
  std::optional<Outstanding> outstanding_;
  uint32_t next_mid_ = 0;      // our next request
  uint32_t expected_mid_ = 0;  // the peer's next request
  bool has_response_ = false;
  std::vector<Bytes> last_response_;
  unsigned retransmissions_total_ = 0;
};

}  // namespace ike::engine
