#ifndef CLINUXSHIMS_H
#define CLINUXSHIMS_H

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>

/* Swift cannot read the packed epoll_event union directly; these keep the fd in data.u64. */
static inline int cshim_epoll_ctl_fd(int epfd, int op, int fd, unsigned int events) {
    struct epoll_event ev;
    ev.events = events;
    ev.data.u64 = (unsigned long long)fd;
    return epoll_ctl(epfd, op, fd, &ev);
}

static inline int cshim_epoll_event_fd(const struct epoll_event *ev) { return (int)ev->data.u64; }
static inline unsigned int cshim_epoll_event_mask(const struct epoll_event *ev) { return ev->events; }

/* Block SIGTERM/SIGINT in the calling thread (and threads it creates) and open a signalfd for them. */
int cshim_signalfd_for_termination(void);

/* Ignore SIGPIPE process-wide: a peer closing mid-write must be an EPIPE, not a process kill. */
void cshim_ignore_sigpipe(void);

/* accept4 with SOCK_NONBLOCK and SOCK_CLOEXEC (needs _GNU_SOURCE, so it lives in the C file). */
int cshim_accept_nonblocking(int listener);

/* Moves the calling thread to SCHED_BATCH (needs _GNU_SOURCE); 0 or -1 with errno. */
int cshim_sched_batch_self(void);

/* Names the calling thread (top -H, /proc/self/task/N/comm), keeping the first 15 bytes: Linux
   refuses longer names. */
int cshim_set_thread_name(const char *name);

#endif

/// Runs `path` with `argv`/`envp` and waits for it. Stdin is /dev/null, stdout and stderr go to
/// `output_path`, no other descriptor is inherited (a daemon the program leaves behind must not
/// hold ours), and the signal mask and dispositions are reset (the server blocks SIGTERM for its
/// signalfd and ignores SIGPIPE; a child must not inherit either). Returns 0 or an errno value.
int cshim_run_to_completion(const char *path, char *const argv[], char *const envp[],
                            const char *output_path, int *exit_status);
