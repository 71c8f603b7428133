// INFORMATIONAL exchanges (RFC 7296 1.4, 2.4): Delete of CHILD_SAs and of the
// IKE_SA, and liveness checks (an empty INFORMATIONAL request).
//
//   HDR, SK {D(ESP, SPI)}  -->            <--  HDR, SK {D(ESP, SPI)}
//   HDR, SK {D(IKE)}  -->                 <--  HDR, SK {}
//   HDR, SK {}  -->                       <--  HDR, SK {}
#pragma once

#include "libike/engine/task/task.h"

namespace ike::engine {

class ChildDelete final : public Task {
 public:
  ChildDelete(uint32_t spi_in, std::string reason) : spi_in_(spi_in), reason_(std::move(reason)) {}
  TaskType type() const override { return TaskType::kChildDelete; }
  ExchangeType exchange() const override { return ExchangeType::kInformational; }
  TaskOutcome Build(wire::Message& msg, SaContext& ctx) override;
  TaskOutcome Process(const wire::Message& msg, SaContext& ctx) override;
  uint32_t spi_in() const { return spi_in_; }

 private:
  uint32_t spi_in_;
  std::string reason_;
};

class IkeDelete final : public Task {
 public:
  explicit IkeDelete(std::string reason) : reason_(std::move(reason)) {}
  TaskType type() const override { return TaskType::kIkeDelete; }
  ExchangeType exchange() const override { return ExchangeType::kInformational; }
  TaskOutcome Build(wire::Message& msg, SaContext& ctx) override;
  TaskOutcome Process(const wire::Message& msg, SaContext& ctx) override;

 private:
  std::string reason_;
};

class IkeDpd final : public Task {
 public:
  TaskType type() const override { return TaskType::kIkeDpd; }
  ExchangeType exchange() const override { return ExchangeType::kInformational; }
  TaskOutcome Build(wire::Message& msg, SaContext& ctx) override { return TaskResult::kDone; }
  TaskOutcome Process(const wire::Message& msg, SaContext& ctx) override {
    return TaskResult::kDone;
  }
};

// Tells the peer about an ESP/AH SPI we received traffic for but do not
// know (RFC 7296 1.5, 3.10.1 INVALID_SPI).
class InvalidSpiNotify final : public Task {
 public:
  explicit InvalidSpiNotify(uint32_t spi) : spi_(spi) {}
  TaskType type() const override { return TaskType::kInformational; }
  ExchangeType exchange() const override { return ExchangeType::kInformational; }
  TaskOutcome Build(wire::Message& msg, SaContext& ctx) override {
    msg.payloads.push_back(wire::NotifyPayload::Make(
        wire::NotifyType::kInvalidSpi,
        Bytes{static_cast<uint8_t>(spi_ >> 24), static_cast<uint8_t>(spi_ >> 16),
              static_cast<uint8_t>(spi_ >> 8), static_cast<uint8_t>(spi_)}));
    return TaskResult::kDone;
  }
  TaskOutcome Process(const wire::Message&, SaContext&) override { return TaskResult::kDone; }

 private:
  uint32_t spi_;
};

// The responder of any INFORMATIONAL request: processes Delete payloads
// and notifies, answers with the matching Delete payloads.
class InformationalResponder final : public Task {
 public:
  TaskType type() const override { return TaskType::kInformational; }
  ExchangeType exchange() const override { return ExchangeType::kInformational; }
  TaskOutcome Build(wire::Message& msg, SaContext& ctx) override;
  TaskOutcome Process(const wire::Message& msg, SaContext& ctx) override;

 private:
  bool delete_ike_ = false;
  std::string peer_gave_up_;  // why the peer abandoned an IKE_SA not yet up
  std::vector<std::pair<ProtocolId, uint32_t>> deleted_in_;  // our inbound SPIs
  std::vector<uint32_t> invalid_spi_in_;
};

// Removes a CHILD_SA from the IKE_SA: backend effects and the event.
void RemoveChild(SaContext& ctx, uint32_t spi_in, const std::string& reason);

}  // namespace ike::engine
