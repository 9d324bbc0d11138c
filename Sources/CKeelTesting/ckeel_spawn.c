// fork and execve in C because the child must run code between them (prctl), and between fork and
// execve in a multithreaded process only async-signal-safe calls are allowed: no Swift runtime, no
// allocation. Foundation's Process is not used: on Swift 6.3.1 its run() reads /proc/self/fd
// with a 256-byte copy of each dirent, which faults now and then when many descriptors are open
// (swift-corelibs-foundation PR 5472).

#define _GNU_SOURCE
#include "CKeelTesting.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

// Makes `fd` the child's descriptor `target`. dup2 clears close-on-exec on the copy, but is a no-op
// when the two are the same descriptor, so clear the flag by hand in that case.
static int bind_descriptor(int fd, int target) {
    if (fd != target) {
        return dup2(fd, target) < 0 ? -1 : 0;
    }
    int flags = fcntl(fd, F_GETFD);
    return flags < 0 ? -1 : fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
}

// Reports errno through the close-on-exec pipe and ends the child without running atexit handlers
// or flushing stdio buffers copied from the parent.
static void fail_in_child(int report_fd) {
    int error = errno;
    while (write(report_fd, &error, sizeof(error)) < 0 && errno == EINTR) {
    }
    _exit(127);
}

static void run_child(
    int report_fd,
    pid_t parent,
    const char *path,
    char *const argv[],
    char *const envp[],
    const char *directory,
    int stdin_fd,
    int stdout_fd,
    int stderr_fd,
    int death_signal
) {
    // Ignored signals stay ignored across execve (the test process ignores SIGPIPE, for one), and
    // handlers would point into the parent's code: give the new program the defaults a shell would.
    for (int signal_number = 1; signal_number < NSIG; signal_number++) {
        if (signal_number != SIGKILL && signal_number != SIGSTOP) {
            signal(signal_number, SIG_DFL);
        }
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

#if defined(__linux__)
    if (death_signal != 0) {
        if (prctl(PR_SET_PDEATHSIG, death_signal) != 0) {
            fail_in_child(report_fd);
        }
        // The parent may have died between fork and prctl; then nobody would send the signal.
        if (getppid() != parent) {
            _exit(127);
        }
    }
#else
    (void)parent;
    (void)death_signal;
#endif

    if (directory != NULL && chdir(directory) != 0) {
        fail_in_child(report_fd);
    }
    if (bind_descriptor(stdin_fd, STDIN_FILENO) != 0 || bind_descriptor(stdout_fd, STDOUT_FILENO) != 0
        || bind_descriptor(stderr_fd, STDERR_FILENO) != 0) {
        fail_in_child(report_fd);
    }

#if defined(__linux__)
    // Descriptors opened by other threads without O_CLOEXEC (sockets, pipes of another child) must
    // not leak: a leaked write end keeps another test's pipe open and its read waiting. Marking them
    // close-on-exec keeps `report_fd` usable until execve succeeds.
    if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
        syscall(SYS_close_range, 3U, (unsigned)report_fd - 1, 0U);
        syscall(SYS_close_range, (unsigned)report_fd + 1, ~0U, 0U);
    }
#endif

    execve(path, argv, envp);
    fail_in_child(report_fd);
}

int ckeel_pipe_cloexec(int fds[2]) {
#if defined(__linux__)
    return pipe2(fds, O_CLOEXEC);
#else
    // No pipe2 on Darwin: the flags are set a moment later, which a fork in between could miss.
    if (pipe(fds) != 0) {
        return -1;
    }
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    return 0;
#endif
}

int ckeel_spawn(
    pid_t *pid,
    const char *path,
    char *const argv[],
    char *const envp[],
    const char *directory,
    int stdin_fd,
    int stdout_fd,
    int stderr_fd,
    int death_signal
) {
    int report[2];
    if (ckeel_pipe_cloexec(report) != 0) {
        return errno;
    }
    pid_t parent = getpid();

    // No signal handler may run in the child before it has reset the dispositions.
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    // _Fork runs no atfork handlers: nothing in the child waits for a lock that another thread
    // of the parent held at the fork. The child needs none of what they reset.
    pid_t child = _Fork();
#else
    pid_t child = fork();
#endif
    if (child == 0) {
        close(report[0]);
        run_child(report[1], parent, path, argv, envp, directory, stdin_fd, stdout_fd, stderr_fd, death_signal);
    }
    int fork_error = errno;
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    close(report[1]);
    if (child < 0) {
        close(report[0]);
        return fork_error;
    }

    // End of file means execve succeeded and closed the pipe; an int means the child failed.
    int child_error = 0;
    ssize_t count;
    do {
        count = read(report[0], &child_error, sizeof(child_error));
    } while (count < 0 && errno == EINTR);
    close(report[0]);
    if (count == 0) {
        *pid = child;
        return 0;
    }
    int status;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    return count == sizeof(child_error) ? child_error : EIO;
}
