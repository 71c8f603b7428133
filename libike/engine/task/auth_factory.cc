#include <memory>

#include "libike/engine/task/ike_auth.h"

namespace ike::engine {

std::unique_ptr<Authenticator> MakePubkeyAuthenticator(const AuthConfig& auth);

std::unique_ptr<Authenticator> MakeAuthenticatorFor(const AuthConfig& auth) {
  if (auth.kind == AuthKind::kPubkey) return MakePubkeyAuthenticator(auth);
  return MakePskAuthenticator();
}

}  // namespace ike::engine
