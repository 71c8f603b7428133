// Result<T, E>: a value or a typed error, with the subset of the C++23
// std::expected API the project uses, so it can be swapped for it later.
// Code in libike never throws; accessing the wrong alternative is a
// programming error and aborts.
#pragma once

#include <cstdlib>
#include <type_traits>
#include <utility>
#include <variant>

namespace ike {

template <typename E>
class Unexpected {
 public:
  explicit Unexpected(E error) : error_(std::move(error)) {}
  const E& error() const& { return error_; }
  E& error() & { return error_; }
  E&& error() && { return std::move(error_); }

 private:
  E error_;
};

template <typename E>
Unexpected<std::decay_t<E>> MakeUnexpected(E&& error) {
  return Unexpected<std::decay_t<E>>(std::forward<E>(error));
}

template <typename T, typename E>
class [[nodiscard]] Result {
 public:
  using value_type = T;
  using error_type = E;

  template <typename U = T,
            typename = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                        !std::is_same_v<std::decay_t<U>, Result>>>
  Result(U&& value) : v_(std::in_place_index<0>, std::forward<U>(value)) {}  // NOLINT
  template <typename G>
  Result(Unexpected<G> error)  // NOLINT
      : v_(std::in_place_index<1>, E(std::move(error).error())) {}

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { Check(true); return std::get<0>(v_); }
  const T& value() const& { Check(true); return std::get<0>(v_); }
  T&& value() && { Check(true); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const E& error() const& { Check(false); return std::get<1>(v_); }
  E& error() & { Check(false); return std::get<1>(v_); }
  E&& error() && { Check(false); return std::get<1>(std::move(v_)); }

  template <typename U>
  T value_or(U&& fallback) const& {
    return has_value() ? std::get<0>(v_) : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  void Check(bool want_value) const {
    if (has_value() != want_value) std::abort();
  }
  std::variant<T, E> v_;
};

template <typename E>
class [[nodiscard]] Result<void, E> {
 public:
  using value_type = void;
  using error_type = E;

  Result() = default;
  template <typename G>
  Result(Unexpected<G> error)  // NOLINT
      : error_(E(std::move(error).error())), ok_(false) {}

  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  void value() const { if (!ok_) std::abort(); }
  const E& error() const& { if (ok_) std::abort(); return error_; }
  E&& error() && { if (ok_) std::abort(); return std::move(error_); }

 private:
  E error_{};
  bool ok_ = true;
};

}  // namespace ike

// Propagates an error from an expression yielding Result<_, E> in a function
// returning Result<_, E2> where E2 is constructible from E.
#define IKE_TRY(expr)                                   \
  do {                                                  \
    auto ike_try_result_ = (expr);                      \
    if (!ike_try_result_) {                             \
      return ::ike::MakeUnexpected(std::move(ike_try_result_).error()); \
    }                                                   \
  } while (0)

// Assigns the value of a Result to `lhs` or returns its error.
#define IKE_ASSIGN_OR_RETURN(lhs, expr) IKE_ASSIGN_OR_RETURN_IMPL_(IKE_CONCAT_(ike_r_, __LINE__), lhs, expr)
#define IKE_CONCAT_INNER_(a, b) a##b
#define IKE_CONCAT_(a, b) IKE_CONCAT_INNER_(a, b)
#define IKE_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr)                \
  auto tmp = (expr);                                              \
  if (!tmp) return ::ike::MakeUnexpected(std::move(tmp).error()); \
  lhs = std::move(tmp).value()
