/* The pool of ports/port.h on pthreads.  A run bumps a generation counter;
 * workers spin on it briefly (a denoiser step dispatches a few hundred
 * short kernels, and a futex wake costs more than some of them) and then
 * sleep on a condition variable.  The caller takes part as worker 0, then
 * spins briefly on the count of workers still busy and sleeps too, so a
 * machine with more runnable threads than cores does not burn time slices
 * spinning. */
#include "port.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#define SPIN_ITERS 4000 /* pause x 4000: some 50-200 us of polling before sleeping */

struct mdm_port_pool {
    int n;
    pthread_t *tid;
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    atomic_uint gen;     /* bumped by each run */
    atomic_int pending;  /* workers still inside the current run */
    atomic_int quit;
    mdm_port_task fn;
    void *arg;
};

typedef struct {
    mdm_port_pool *p;
    int i;
} worker_arg;

static void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __asm__ __volatile__("pause");
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* Waits until gen differs from seen; returns the new generation. */
static unsigned wait_gen(mdm_port_pool *p, unsigned seen) {
    for (int k = 0; k < SPIN_ITERS; k++) {
        unsigned g = atomic_load_explicit(&p->gen, memory_order_acquire);
        if (g != seen)
            return g;
        cpu_relax();
    }
    pthread_mutex_lock(&p->mu);
    unsigned g;
    while ((g = atomic_load_explicit(&p->gen, memory_order_acquire)) == seen)
        pthread_cond_wait(&p->wake, &p->mu);
    pthread_mutex_unlock(&p->mu);
    return g;
}

static void *worker(void *v) {
    worker_arg *wa = v;
    mdm_port_pool *p = wa->p;
    const int i = wa->i;
    free(wa);
    unsigned seen = 0;
    for (;;) {
        seen = wait_gen(p, seen);
        if (atomic_load_explicit(&p->quit, memory_order_acquire))
            return NULL;
        p->fn(p->arg, i, p->n);
        if (atomic_fetch_sub_explicit(&p->pending, 1, memory_order_acq_rel) == 1) {
            pthread_mutex_lock(&p->mu); /* the caller may be asleep on done */
            pthread_cond_signal(&p->done);
            pthread_mutex_unlock(&p->mu);
        }
    }
}

static void bump(mdm_port_pool *p) {
    pthread_mutex_lock(&p->mu);
    atomic_fetch_add_explicit(&p->gen, 1, memory_order_acq_rel);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
}

mdm_status mdm_port_pool_create(int n, mdm_port_pool **out) {
    if (!out || n < 1)
        return MDM_ERR_INVALID_ARG;
    *out = NULL;
    mdm_port_pool *p = calloc(1, sizeof *p);
    if (!p || !(p->tid = calloc((size_t)n, sizeof *p->tid))) {
        free(p);
        return MDM_ERR_NO_MEMORY;
    }
    p->n = 1;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done, NULL);
    for (int i = 1; i < n; i++) {
        worker_arg *wa = malloc(sizeof *wa);
        if (wa)
            *wa = (worker_arg){p, i};
        if (!wa || pthread_create(&p->tid[i], NULL, worker, wa) != 0) {
            free(wa);
            mdm_port_pool_free(p);
            return MDM_ERR_NO_MEMORY;
        }
        p->n = i + 1;
    }
    *out = p;
    return MDM_OK;
}

void mdm_port_pool_run(mdm_port_pool *p, mdm_port_task fn, void *arg) {
    if (!p || p->n == 1) {
        fn(arg, 0, 1);
        return;
    }
    p->fn = fn;
    p->arg = arg;
    atomic_store_explicit(&p->pending, p->n - 1, memory_order_release);
    bump(p);
    fn(arg, 0, p->n);
    for (int k = 0; k < SPIN_ITERS; k++) {
        if (atomic_load_explicit(&p->pending, memory_order_acquire) == 0)
            return;
        cpu_relax();
    }
    pthread_mutex_lock(&p->mu);
    while (atomic_load_explicit(&p->pending, memory_order_acquire) > 0)
        pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

int mdm_port_pool_size(const mdm_port_pool *p) { return p ? p->n : 1; }

void mdm_port_pool_free(mdm_port_pool *p) {
    if (!p)
        return;
    atomic_store_explicit(&p->quit, 1, memory_order_release);
    bump(p);
    for (int i = 1; i < p->n; i++)
        pthread_join(p->tid[i], NULL);
    pthread_cond_destroy(&p->wake);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->mu);
    free(p->tid);
    free(p);
}

unsigned long long mdm_port_now_ns(void) {
    struct timespec t;
    if (clock_gettime(CLOCK_MONOTONIC, &t) != 0)
        return 0;
    return (unsigned long long)t.tv_sec * 1000000000ull + (unsigned long long)t.tv_nsec;
}
