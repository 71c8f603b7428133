// The task contract (STYLE.md "Exchanges = tasks"): one class per feature of
// an exchange. An initiator task builds its payloads into a request and
// processes the response; a responder task processes the request and builds
// its payloads into the response. The TaskManager runs all tasks of one
// exchange over the same message, in activation order (which is therefore
// the payload order on the wire).
#pragma once

#include <optional>
#include <string>

#include "libike/common/bytes.h"
#include "libike/common/result.h"
#include "libike/engine/sa/sa_context.h"
#include "libike/wire/message.h"

namespace ike::engine {

enum class TaskType : uint8_t {
  kIkeInit,
  kIkeNatd,
  kIkeFeatures,
  kIkeAuth,
  kChildCreate,
  kChildRekey,
  kChildDelete,
  kIkeRekey,
  kIkeDelete,
  kIkeDpd,
  kInformational,
  kIkeConfig,
  kIkeMobike,
};
const char* TaskTypeName(TaskType type);

enum class TaskResult : uint8_t {
  kDone,      // the task is complete
  kNeedMore,  // the task takes part in the next message too (e.g. a retried
              // IKE_SA_INIT after INVALID_KE_PAYLOAD or COOKIE)
  // Initiator: the task needs further rounds of the same exchange on its
  // own (EAP in IKE_AUTH, RFC 7296 2.16); the other tasks of the exchange
  // wait and process the response that ends those rounds.
  kContinueAlone,
  // Responder (Process): the answer waits for an external party (an AAA
  // backend); the TaskManager holds the request until Resume().
  kDeferred,
};

// Why a task failed. A responder answers with `notify` (if set); a fatal
// failure destroys the IKE_SA with `reason`.
struct TaskError {
  std::optional<wire::NotifyType> notify;
  Bytes notify_data;
  std::string reason;
  bool fatal = true;
};
using TaskOutcome = Result<TaskResult, TaskError>;

inline Unexpected<TaskError> Fail(std::string reason,
                                  std::optional<wire::NotifyType> notify = std::nullopt,
                                  Bytes data = {}, bool fatal = true) {
  return MakeUnexpected(TaskError{notify, std::move(data), std::move(reason), fatal});
}

class Task {
 public:
  virtual ~Task() = default;
  virtual TaskType type() const = 0;
  // The exchange this task runs in when initiated.
  virtual ExchangeType exchange() const = 0;
  // Initiator: adds payloads to the request. Responder: to the response.
  virtual TaskOutcome Build(wire::Message& msg, SaContext& ctx) = 0;
  // Initiator: the response. Responder: the request.
  virtual TaskOutcome Process(const wire::Message& msg, SaContext& ctx) = 0;
  // The IKE_SA goes away while this task is pending: release what it holds
  // (e.g. allocated SPIs).
  virtual void Abort(SaContext& ctx) {}
};

}  // namespace ike::engine
