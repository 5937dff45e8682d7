/* sem_clockwait for processes under libfaketime.
 *
 * CPython 3.11 waits on a lock with a timeout through sem_clockwait(CLOCK_MONOTONIC, deadline),
 * the deadline computed from clock_gettime, which libfaketime shifts by its offset. libfaketime
 * 0.9.10 (Debian 12) shifts clock_gettime but does not interpose sem_clockwait, so the kernel
 * waits until the shifted deadline: threading.Event().wait(0.5) under `faketime -f +35d` waits
 * 35 days. That is the hang CI saw inside Airflow's in-process dag.test(). This preload turns
 * the deadline back into the real clock's: the time left is measured on the clock the caller
 * saw (libfaketime's), and added to the real clock (the syscall, which libfaketime cannot
 * shift). It changes no date the program sees. .ci/run builds it only under faketime.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <semaphore.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

typedef int (*sem_clockwait_fn)(sem_t *, clockid_t, const struct timespec *);

int sem_clockwait(sem_t *sem, clockid_t clock, const struct timespec *abstime) {
    static sem_clockwait_fn real;
    if (!real) real = (sem_clockwait_fn)dlsym(RTLD_NEXT, "sem_clockwait");
    struct timespec seen, actual, deadline;
    if (clock_gettime(clock, &seen) != 0 || syscall(SYS_clock_gettime, clock, &actual) != 0)
        return real(sem, clock, abstime);
    long long left = (abstime->tv_sec - seen.tv_sec) * 1000000000LL + (abstime->tv_nsec - seen.tv_nsec);
    if (left < 0) left = 0;
    long long at = actual.tv_sec * 1000000000LL + actual.tv_nsec + left;
    deadline.tv_sec = at / 1000000000LL;
    deadline.tv_nsec = at % 1000000000LL;
    return real(sem, clock, &deadline);
}
