// The child is started in C because it must run code between the process split and execve
// (prctl), and there a multithreaded process may make only async-signal-safe calls: no Swift
// runtime, no allocation. Foundation's Process is not used: on Swift 6.3.1 its run() reads
// /proc/self/fd with a 256-byte copy of each dirent, which faults now and then when many
// descriptors are open (swift-corelibs-foundation PR 5472).
//
// The split is glibc's posix_spawn's: clone with CLONE_VM | CLONE_VFORK, the child on a stack of
// its own, sharing the parent's memory until execve. A fork would copy the page tables of a test
// process with hundreds of threads and hold its memory map locked while it did, stalling every
// other test in the process on each spawn; and it would run atfork handlers.

#define _GNU_SOURCE
#include "CKeelTesting.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#if defined(__linux__)
#include <sched.h>
#include <sys/prctl.h>
#endif

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

struct child_arguments {
    pid_t parent;
    const char *path;
    char *const *argv;
    char *const *envp;
    const char *directory;
    int stdin_fd;
    int stdout_fd;
    int stderr_fd;
    int death_signal;
    // Written by the child, in the memory it shares with the parent, when it fails before execve.
    volatile int error;
};

// Makes `fd` the child's descriptor `target`. dup2 clears close-on-exec on the copy, but is a no-op
// when the two are the same descriptor, so clear the flag by hand in that case.
static int bind_descriptor(int fd, int target) {
    if (fd != target) {
        return dup2(fd, target) < 0 ? -1 : 0;
    }
    int flags = fcntl(fd, F_GETFD);
    return flags < 0 ? -1 : fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
}

// Leaves errno for the parent and ends the child without atexit handlers or stdio flushes: the
// memory those would touch is the parent's.
static void fail_in_child(struct child_arguments *arguments) {
    arguments->error = errno != 0 ? errno : EIO;
    _exit(127);
}

static int child_main(void *opaque) {
    struct child_arguments *arguments = opaque;

    // Ignored signals stay ignored across execve (the test process ignores SIGPIPE, for one), and
    // handlers would point into the parent's code: give the new program the defaults a shell would.
    // The dispositions are the child's own copy (no CLONE_SIGHAND).
    for (int signal_number = 1; signal_number < NSIG; signal_number++) {
        if (signal_number != SIGKILL && signal_number != SIGSTOP) {
            signal(signal_number, SIG_DFL);
        }
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

#if defined(__linux__)
    if (arguments->death_signal != 0) {
        if (prctl(PR_SET_PDEATHSIG, arguments->death_signal) != 0) {
            fail_in_child(arguments);
        }
        // The parent may have died before prctl; then nobody would send the signal.
        if (getppid() != arguments->parent) {
            _exit(127);
        }
    }
#endif

    if (arguments->directory != NULL && chdir(arguments->directory) != 0) {
        fail_in_child(arguments);
    }
    if (bind_descriptor(arguments->stdin_fd, STDIN_FILENO) != 0
        || bind_descriptor(arguments->stdout_fd, STDOUT_FILENO) != 0
        || bind_descriptor(arguments->stderr_fd, STDERR_FILENO) != 0) {
        fail_in_child(arguments);
    }

#if defined(__linux__)
    // Descriptors opened by other threads without O_CLOEXEC (sockets, pipes of another child) must
    // not leak: a leaked write end keeps another test's pipe open and its read waiting.
    if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
        syscall(SYS_close_range, 3U, ~0U, 0U);
    }
#endif

    execve(arguments->path, arguments->argv, arguments->envp);
    fail_in_child(arguments);
    return 127;
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
    struct child_arguments arguments = {
        .parent = getpid(),
        .path = path,
        .argv = argv,
        .envp = envp,
        .directory = directory,
        .stdin_fd = stdin_fd,
        .stdout_fd = stdout_fd,
        .stderr_fd = stderr_fd,
        .death_signal = death_signal,
        .error = 0,
    };

    // No signal handler may run in the child, on memory it shares with the parent, before it has
    // reset the dispositions.
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
#if defined(__linux__)
    const size_t stack_size = 256 * 1024;
    void *stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) {
        int error = errno;
        pthread_sigmask(SIG_SETMASK, &previous, NULL);
        return error;
    }
    // Returns once the child has called execve or exited (CLONE_VFORK).
    pid_t child = clone(child_main, (char *)stack + stack_size, CLONE_VM | CLONE_VFORK | SIGCHLD, &arguments);
    int clone_error = errno;
    munmap(stack, stack_size);
#else
    pid_t child = vfork();
    if (child == 0) {
        child_main(&arguments);
    }
    int clone_error = errno;
#endif
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    if (child < 0) {
        return clone_error;
    }
    if (arguments.error != 0) {
        int status;
        while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
        }
        return arguments.error;
    }
    *pid = child;
    return 0;
}
