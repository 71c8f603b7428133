// The daemon's single-threaded epoll loop: file descriptors, timers (one
// timerfd armed at the earliest deadline) and signals (signalfd).
#pragma once

#include <sys/epoll.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "libike/common/result.h"

namespace ike::charon {

class EventLoop {
 public:
  using Clock = std::chrono::steady_clock;
  using FdCallback = std::function<void(uint32_t events)>;
  using TimerId = uint64_t;

  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Fails only when the kernel refuses (fd limits); the message says why.
  Result<void, std::string> Init();

  Result<void, std::string> AddFd(int fd, uint32_t events, FdCallback callback);
  void ModifyFd(int fd, uint32_t events);
  void RemoveFd(int fd);

  TimerId AddTimer(Clock::time_point when, std::function<void()> callback);
  TimerId AddTimerIn(Clock::duration delay, std::function<void()> callback) {
    return AddTimer(Now() + delay, std::move(callback));
  }
  void CancelTimer(TimerId id);

  // Blocks `signals` for the process and delivers them through the loop.
  Result<void, std::string> HandleSignals(const std::vector<int>& signals, std::function<void(int)> callback);

  Clock::time_point Now() const { return Clock::now(); }

  // Runs until Stop(); returns false on an unrecoverable epoll error.
  bool Run();
  void Stop() { running_ = false; }

 private:
  void ArmTimerFd();
  void FireTimers();

  int epoll_fd_ = -1;
  int timer_fd_ = -1;
  int signal_fd_ = -1;
  bool running_ = false;
  std::unordered_map<int, std::shared_ptr<FdCallback>> fds_;
  TimerId next_timer_ = 1;
  std::multimap<Clock::time_point, TimerId> deadlines_;
  std::unordered_map<TimerId, std::pair<Clock::time_point, std::function<void()>>> timers_;
  std::function<void(int)> signal_callback_;
};

}  // namespace ike::charon
