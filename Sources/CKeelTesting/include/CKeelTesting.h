#ifndef CKEELTESTING_H
#define CKEELTESTING_H

#include <sys/types.h>

/// Starts `path` with `argv` and `envp` (both NULL-terminated) in a child process whose standard
/// input, output and error are `stdin_fd`, `stdout_fd` and `stderr_fd`, in `directory` when that
/// is not NULL. Every other descriptor is closed in the child.
///
/// On Linux the child is sent `death_signal` (when not 0) as soon as the thread that called this
/// function ends, which for a thread that never ends means when the calling process ends, however
/// it ends. A caller that wants "dies with the process" must call this from one long-lived thread.
///
/// Returns 0 and stores the child's id in `*pid` once the child has called `execve`, or returns
/// the errno of whatever failed, in the parent or in the child before `execve`.
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
);

/// `pipe2(fds, O_CLOEXEC)`, which Swift's Glibc module does not export. Both ends are made
/// close-on-exec atomically, so a fork on another thread cannot inherit them.
int ckeel_pipe_cloexec(int fds[2]);

#endif
