// Certificate authentication: placeholder until the signature path lands.
#include <memory>

#include "libike/engine/task/ike_auth.h"

namespace ike::engine {

namespace {
class UnsupportedAuthenticator final : public Authenticator {
 public:
  Result<wire::AuthPayload, std::string> Build(const SaContext&, ByteView) override {
    return MakeUnexpected(std::string("public key authentication not available"));
  }
  Result<void, std::string> Verify(const SaContext&, const wire::Message&,
                                   const wire::AuthPayload&, ByteView) override {
    return MakeUnexpected(std::string("public key authentication not available"));
  }
};
}  // namespace

std::unique_ptr<Authenticator> MakePubkeyAuthenticator(const AuthConfig&) {
  return std::make_unique<UnsupportedAuthenticator>();
}

}  // namespace ike::engine
