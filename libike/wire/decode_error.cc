#include "libike/wire/decode_error.h"

namespace ike::wire {

std::string_view DecodeErrorCodeName(DecodeErrorCode code) {
  switch (code) {
    case DecodeErrorCode::kTruncated: return "kTruncated";
    case DecodeErrorCode::kBadLength: return "kBadLength";
    case DecodeErrorCode::kInvalidSyntax: return "kInvalidSyntax";
    case DecodeErrorCode::kUnsupportedCriticalPayload: return "kUnsupportedCriticalPayload";
    case DecodeErrorCode::kInvalidMajorVersion: return "kInvalidMajorVersion";
    case DecodeErrorCode::kPayloadAfterSk: return "kPayloadAfterSk";
    case DecodeErrorCode::kTooManyPayloads: return "kTooManyPayloads";
    case DecodeErrorCode::kTooManyItems: return "kTooManyItems";
    case DecodeErrorCode::kTrailingData: return "kTrailingData";
  }
  return "kUnknown";
}

std::string ToString(const DecodeError& error) {
  std::string out(DecodeErrorCodeName(error.code));
  if (!error.detail.empty()) {
    out += ": ";
    out += error.detail;
  }
  return out;
}

NotifyType NotifyForError(const DecodeError& error) {
  switch (error.code) {
    case DecodeErrorCode::kUnsupportedCriticalPayload:
      return NotifyType::kUnsupportedCriticalPayload;
    case DecodeErrorCode::kInvalidMajorVersion:
      return NotifyType::kInvalidMajorVersion;
    default:
      return NotifyType::kInvalidSyntax;
  }
}

Bytes NotifyDataForError(const DecodeError& error) {
  if (error.code == DecodeErrorCode::kUnsupportedCriticalPayload) return {error.payload_type};
  return {};
}

}  // namespace ike::wire
