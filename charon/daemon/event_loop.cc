#include "charon/daemon/event_loop.h"

#include <signal.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace ike::charon {

EventLoop::EventLoop() = default;

EventLoop::~EventLoop() {
  for (int fd : {epoll_fd_, timer_fd_, signal_fd_}) {
    if (fd >= 0) close(fd);
  }
}

Result<void, std::string> EventLoop::Init() {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) return MakeUnexpected(std::string("epoll_create1: ") + std::strerror(errno));
  timer_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (timer_fd_ < 0) return MakeUnexpected(std::string("timerfd_create: ") + std::strerror(errno));
  return AddFd(timer_fd_, EPOLLIN, [this](uint32_t) {
    uint64_t expirations;
    while (read(timer_fd_, &expirations, sizeof(expirations)) > 0) {
    }
    FireTimers();
  });
}

Result<void, std::string> EventLoop::AddFd(int fd, uint32_t events, FdCallback callback) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    return MakeUnexpected(std::string("epoll_ctl(ADD): ") + std::strerror(errno));
  }
  fds_[fd] = std::make_shared<FdCallback>(std::move(callback));
  return {};
}

void EventLoop::ModifyFd(int fd, uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
}

void EventLoop::RemoveFd(int fd) {
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  fds_.erase(fd);
}

EventLoop::TimerId EventLoop::AddTimer(Clock::time_point when, std::function<void()> callback) {
  TimerId id = next_timer_++;
  timers_[id] = {when, std::move(callback)};
  deadlines_.emplace(when, id);
  if (deadlines_.begin()->second == id) ArmTimerFd();
  return id;
}

void EventLoop::CancelTimer(TimerId id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) return;
  auto range = deadlines_.equal_range(it->second.first);
  for (auto d = range.first; d != range.second; ++d) {
    if (d->second == id) {
      deadlines_.erase(d);
      break;
    }
  }
  timers_.erase(it);
}

void EventLoop::ArmTimerFd() {
  itimerspec spec{};
  if (!deadlines_.empty()) {
    auto delay = deadlines_.begin()->first - Now();
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(delay).count();
    if (ns < 1) ns = 1;  // zero would disarm
    spec.it_value.tv_sec = ns / 1000000000;
    spec.it_value.tv_nsec = ns % 1000000000;
  }
  timerfd_settime(timer_fd_, 0, &spec, nullptr);
}

void EventLoop::FireTimers() {
  auto now = Now();
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    TimerId id = deadlines_.begin()->second;
    deadlines_.erase(deadlines_.begin());
    auto it = timers_.find(id);
    if (it == timers_.end()) continue;
    auto callback = std::move(it->second.second);
    timers_.erase(it);
    callback();
  }
  ArmTimerFd();
}

Result<void, std::string> EventLoop::HandleSignals(const std::vector<int>& signals,
                                                   std::function<void(int)> callback) {
  sigset_t set;
  sigemptyset(&set);
  for (int s : signals) sigaddset(&set, s);
  if (sigprocmask(SIG_BLOCK, &set, nullptr) != 0) {
    return MakeUnexpected(std::string("sigprocmask: ") + std::strerror(errno));
  }
  signal_fd_ = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (signal_fd_ < 0) return MakeUnexpected(std::string("signalfd: ") + std::strerror(errno));
  signal_callback_ = std::move(callback);
  return AddFd(signal_fd_, EPOLLIN, [this](uint32_t) {
    signalfd_siginfo info;
    while (read(signal_fd_, &info, sizeof(info)) == static_cast<ssize_t>(sizeof(info))) {
      signal_callback_(static_cast<int>(info.ssi_signo));
    }
  });
}

bool EventLoop::Run() {
  running_ = true;
  epoll_event events[64];
  while (running_) {
    int n = epoll_wait(epoll_fd_, events, 64, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    for (int i = 0; i < n && running_; ++i) {
      auto it = fds_.find(events[i].data.fd);
      if (it == fds_.end()) continue;  // removed by an earlier callback
      auto callback = it->second;      // keeps it alive if the callback removes itself
      (*callback)(events[i].events);
    }
  }
  return true;
}

}  // namespace ike::charon
