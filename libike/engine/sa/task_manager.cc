#include "libike/engine/sa/task_manager.h"

#include <algorithm>
#include <cmath>

#include "libike/engine/sa/codec.h"

namespace ike::engine {

const char* TaskTypeName(TaskType type) {
  switch (type) {
    case TaskType::kIkeInit: return "IKE_INIT";
    case TaskType::kIkeNatd: return "IKE_NATD";
    case TaskType::kIkeFeatures: return "IKE_FEATURES";
    case TaskType::kIkeAuth: return "IKE_AUTH";
    case TaskType::kChildCreate: return "CHILD_CREATE";
    case TaskType::kChildRekey: return "CHILD_REKEY";
    case TaskType::kChildDelete: return "CHILD_DELETE";
    case TaskType::kIkeRekey: return "IKE_REKEY";
    case TaskType::kIkeDelete: return "IKE_DELETE";
    case TaskType::kIkeDpd: return "IKE_DPD";
    case TaskType::kInformational: return "INFORMATIONAL";
    case TaskType::kIkeConfig: return "IKE_CONFIG";
    case TaskType::kIkeMobike: return "IKE_MOBIKE";
  }
  return "?";
}

bool TaskManager::HasTask(TaskType type) const {
  auto is = [&](const std::unique_ptr<Task>& t) { return t->type() == type; };
  return std::any_of(queued_.begin(), queued_.end(), is) ||
         std::any_of(active_.begin(), active_.end(), is) ||
         std::any_of(held_.begin(), held_.end(), is);
}

bool TaskManager::AnyTask(const std::function<bool(const Task&)>& pred) const {
  auto is = [&](const std::unique_ptr<Task>& t) { return pred(*t); };
  return std::any_of(queued_.begin(), queued_.end(), is) ||
         std::any_of(active_.begin(), active_.end(), is) ||
         std::any_of(held_.begin(), held_.end(), is);
}

std::vector<TaskType> TaskManager::active_types() const {
  std::vector<TaskType> out;
  for (const auto& t : active_) out.push_back(t->type());
  return out;
}

Duration TaskManager::RetransmitTimeout(unsigned tries) const {
  const RetransmitConfig& rc = ctx_.config->retransmit;
  double ms = static_cast<double>(rc.timeout.count()) * std::pow(rc.base, tries);
  if (rc.limit.count() > 0) ms = std::min(ms, static_cast<double>(rc.limit.count()));
  return Duration(static_cast<int64_t>(ms));
}

std::optional<std::vector<Bytes>> TaskManager::Encode(const wire::Message& msg) {
  if (msg.header.exchange_type == ExchangeType::kIkeSaInit) {
    return std::vector<Bytes>{EncodePlain(msg)};
  }
  if (!ctx_.keys.out) return std::nullopt;
  size_t frag = (ctx_.peer_supports_fragmentation && ctx_.config->fragmentation)
                    ? ctx_.config->fragment_size
                    : 0;
  auto enc = EncodeProtected(msg, *ctx_.keys.out, ctx_.env.rng, frag);
  if (!enc) return std::nullopt;
  return std::move(*enc);
}

void TaskManager::Send(const std::vector<Bytes>& packets, bool response) {
  // A response goes back the way its request came (RFC 7296 2.11).
  const bool back = response && ctx_.request_path;
  const Endpoint& from = back ? ctx_.request_path->first : ctx_.local;
  const Endpoint& to = back ? ctx_.request_path->second : ctx_.remote;
  bool marker = from.port != 500;
  for (const Bytes& p : packets) {
    ctx_.Emit(SendDatagram{from, to, WithMarker(p, marker)});
  }
}

void TaskManager::InitiateNext() {
  if (outstanding_ || queued_.empty() || ctx_.state == IkeState::kDestroyed) return;
  ExchangeType exchange = queued_.front()->exchange();
  // The queued prefix of the same exchange, one task of each type.
  while (!queued_.empty() && queued_.front()->exchange() == exchange) {
    TaskType t = queued_.front()->type();
    bool dup = std::any_of(active_.begin(), active_.end(),
                           [&](const std::unique_ptr<Task>& a) { return a->type() == t; });
    if (dup) break;
    active_.push_back(std::move(queued_.front()));
    queued_.erase(queued_.begin());
  }
  outstanding_ = Outstanding{next_mid_, exchange, {}, 0};
  BuildAndSendRequest();
}

void TaskManager::BuildAndSendRequest() {
  wire::Message req;
  req.header.spi_i = ctx_.spi_i;
  req.header.spi_r = ctx_.spi_r;
  req.header.exchange_type = outstanding_->exchange;
  req.header.initiator = ctx_.role == Role::kInitiator;
  req.header.response = false;
  req.header.message_id = outstanding_->mid;
  for (auto& task : active_) {
    auto r = task->Build(req, ctx_);
    if (!r) {
      owner_.Destroy("building " + std::string(TaskTypeName(task->type())) + " failed: " +
               r.error().reason);
      return;
    }
  }
  auto packets = Encode(req);
  if (!packets) {
    owner_.Destroy("encoding the request failed");
    return;
  }
  if (outstanding_->exchange == ExchangeType::kIkeSaInit) ctx_.init_request = packets->front();
  outstanding_->packets = std::move(*packets);
  outstanding_->tries = 0;
  Send(outstanding_->packets);
  ctx_.ArmTimer(TimerKind::kRetransmit, RetransmitTimeout(0));
}

void TaskManager::OnRetransmitTimer() {
  ctx_.TimerFired(TimerKind::kRetransmit, 0);
  if (!outstanding_) return;
  if (outstanding_->tries >= ctx_.config->retransmit.tries) {
    owner_.Destroy("giving up after " + std::to_string(outstanding_->tries) + " retransmits");
    return;
  }
  ++outstanding_->tries;
  ++retransmissions_total_;
  Send(outstanding_->packets);
  ctx_.ArmTimer(TimerKind::kRetransmit, RetransmitTimeout(outstanding_->tries));
}

void TaskManager::OnMessage(const wire::Message& msg, ByteView raw) {
  if (msg.header.response) {
    HandleResponse(msg, raw);
  } else {
    HandleRequest(msg, raw);
  }
}

void TaskManager::ReplayResponse() {
  ctx_.counters.Inc(Drop::kRetransmittedRequest);
  Send(last_response_, true);
}

void TaskManager::SendErrorResponse(const wire::Message& request, const TaskError& error) {
  wire::Message resp;
  resp.header = request.header;
  resp.header.response = true;
  resp.header.initiator = ctx_.role == Role::kInitiator;
  resp.header.spi_i = ctx_.spi_i;
  resp.header.spi_r = ctx_.spi_r;
  // IKE_SA_INIT errors create no state: the responder SPI stays zero.
  if (request.header.exchange_type == ExchangeType::kIkeSaInit) resp.header.spi_r = 0;
  if (error.notify) {
    resp.payloads.push_back(wire::NotifyPayload::Make(*error.notify, error.notify_data));
  }
  auto packets = Encode(resp);
  if (!packets) return;
  last_response_ = *packets;
  has_response_ = true;
  Send(*packets, true);
}

void TaskManager::HandleRequest(const wire::Message& msg, ByteView raw) {
  uint32_t mid = msg.header.message_id;
  if (deferred_ && mid == deferred_->request.header.message_id) {
    // Still waiting for the backend: the peer's retransmit gets the
    // answer once there is one.
    ctx_.counters.Inc(Drop::kRetransmittedRequest);
    return;
  }
  if (mid != expected_mid_ || deferred_) {
    if (IsRetransmit(mid)) {
      ReplayResponse();
    } else if (mid < expected_mid_) {
      ctx_.counters.Inc(Drop::kStaleRequest);
    } else {
      ctx_.counters.Inc(Drop::kFutureRequest);
    }
    return;
  }
  substitute_.reset();
  std::vector<std::unique_ptr<Task>> tasks = owner_.ResponderTasks(msg);
  if (tasks.empty()) {
    substitute_.reset();
    ctx_.counters.Inc(Drop::kUnexpectedExchange);
    return;
  }
  if (msg.header.exchange_type == ExchangeType::kIkeSaInit) {
    ctx_.init_request.assign(raw.begin(), raw.end());
  }
  std::unique_ptr<wire::Message> substitute = std::move(substitute_);
  const wire::Message& input = substitute ? *substitute : msg;
  bool defer = false;
  for (auto& task : tasks) {
    auto r = task->Process(input, ctx_);
    if (!r) return FailRequest(msg, tasks, *task, r.error());
    defer |= *r == TaskResult::kDeferred;
  }
  if (defer) {
    deferred_ = std::make_unique<Deferred>(Deferred{msg, std::move(tasks)});
    return;
  }
  Respond(msg, tasks);
}

void TaskManager::ResumeDeferred() {
  if (!deferred_) return;
  std::unique_ptr<Deferred> d = std::move(deferred_);
  Respond(d->request, d->tasks);
}

void TaskManager::FailRequest(const wire::Message& request,
                              std::vector<std::unique_ptr<Task>>& tasks, Task& task,
                              const TaskError& error) {
  ctx_.counters.Inc(Drop::kTaskFailed);
  ++expected_mid_;
  SendErrorResponse(request, error);
  for (auto& t : tasks) t->Abort(ctx_);
  if (error.fatal || request.header.exchange_type == ExchangeType::kIkeSaInit) {
    owner_.Destroy(std::string(TaskTypeName(task.type())) + ": " + error.reason);
  }
}

void TaskManager::Respond(const wire::Message& msg, std::vector<std::unique_ptr<Task>>& tasks) {
  wire::Message resp;
  resp.header.exchange_type = msg.header.exchange_type;
  resp.header.initiator = ctx_.role == Role::kInitiator;
  resp.header.response = true;
  resp.header.message_id = msg.header.message_id;
  for (auto& task : tasks) {
    auto r = task->Build(resp, ctx_);
    if (!r) return FailRequest(msg, tasks, *task, r.error());
  }
  resp.header.spi_i = ctx_.spi_i;
  resp.header.spi_r = ctx_.spi_r;
  auto packets = Encode(resp);
  if (!packets) {
    owner_.Destroy("encoding the response failed");
    return;
  }
  if (msg.header.exchange_type == ExchangeType::kIkeSaInit) ctx_.init_response = packets->front();
  ++expected_mid_;
  last_response_ = std::move(*packets);
  has_response_ = true;
  Send(last_response_, true);
  // Tasks finishing on the responder side may have queued follow-ups
  // (e.g. a Delete after a rekey collision).
  if (ctx_.state != IkeState::kDestroyed) InitiateNext();
}

void TaskManager::HandleResponse(const wire::Message& msg, ByteView raw) {
  if (!outstanding_ || msg.header.message_id != outstanding_->mid ||
      msg.header.exchange_type != outstanding_->exchange) {
    ctx_.counters.Inc(Drop::kUnexpectedResponse);
    return;
  }
  ctx_.CancelTimer(TimerKind::kRetransmit);
  if (outstanding_->exchange == ExchangeType::kIkeSaInit) {
    ctx_.init_response.assign(raw.begin(), raw.end());
  }
  std::vector<std::unique_ptr<Task>> remaining;
  bool alone = false;
  for (size_t i = 0; i < active_.size(); ++i) {
    std::unique_ptr<Task>& task = active_[i];
    if (alone) {
      held_.push_back(std::move(task));
      continue;
    }
    auto r = task->Process(msg, ctx_);
    if (ctx_.state == IkeState::kDestroyed) return;
    if (!r) {
      if (r.error().fatal) {
        std::string reason = std::string(TaskTypeName(task->type())) + ": " + r.error().reason;
        for (auto& t : active_) {
          if (t) t->Abort(ctx_);
        }
        for (auto& t : held_) t->Abort(ctx_);
        active_.clear();
        held_.clear();
        outstanding_.reset();
        owner_.Destroy(reason);
        return;
      }
      task->Abort(ctx_);
      continue;
    }
    if (*r == TaskResult::kNeedMore) {
      remaining.push_back(std::move(task));
    } else if (*r == TaskResult::kContinueAlone) {
      remaining.push_back(std::move(task));
      alone = true;
    } else if (!held_.empty()) {
      // The task that went on alone is done: the waiting tasks take this
      // response (and come after it, as in the first request).
      for (auto& h : held_) active_.push_back(std::move(h));
      held_.clear();
    }
  }
  active_ = std::move(remaining);
  if (!active_.empty()) {
    // Another round. A retried IKE_SA_INIT keeps message ID 0.
    if (outstanding_->exchange != ExchangeType::kIkeSaInit) {
      outstanding_->mid = ++next_mid_;
    }
    BuildAndSendRequest();
    return;
  }
  ++next_mid_;
  outstanding_.reset();
  InitiateNext();
}

void TaskManager::AbortAll() {
  for (auto& t : active_) t->Abort(ctx_);
  for (auto& t : held_) t->Abort(ctx_);
  for (auto& t : queued_) t->Abort(ctx_);
  if (deferred_) {
    for (auto& t : deferred_->tasks) t->Abort(ctx_);
    deferred_.reset();
  }
  active_.clear();
  held_.clear();
  queued_.clear();
  outstanding_.reset();
}

}  // namespace ike::engine
