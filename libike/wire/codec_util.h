// Internal helpers shared by the payload codecs (not part of the API).
#pragma once

#include <string>
#include <utility>

#include "libike/common/result.h"
#include "libike/wire/decode_error.h"

namespace ike::wire::internal {

inline Unexpected<DecodeError> Fail(DecodeErrorCode code, std::string detail) {
  return MakeUnexpected(DecodeError{code, std::move(detail), 0});
}

}  // namespace ike::wire::internal
