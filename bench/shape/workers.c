/* Concord's shape (DESIGN.md, "A request's way"): one epoll thread reads requests and hands
 * each to a pool of worker threads, one blocking libpq connection each; the worker writes the
 * answer and re-arms the socket.  Usage: workers CONNINFO PORT WORKERS */
#include "common.h"
#include <pthread.h>

static int epoll_fd;
static int queue[MAX_FDS];
static unsigned queue_head, queue_tail;
static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_filled = PTHREAD_COND_INITIALIZER;
static const char *conninfo;

static void rearm(int fd) {
    struct epoll_event event = { .events = EPOLLIN | EPOLLONESHOT, .data.u64 = (unsigned)fd };
    epoll_ctl(epoll_fd, EPOLL_CTL_MOD, fd, &event);
}

static void *work(void *unused) {
    PGconn *pg = connect_prepared(conninfo);
    for (;;) {
        pthread_mutex_lock(&queue_lock);
        while (queue_head == queue_tail) pthread_cond_wait(&queue_filled, &queue_lock);
        int fd = queue[queue_head++ % MAX_FDS];
        pthread_mutex_unlock(&queue_lock);
        char prefix[9];
        key_prefix(fd, prefix);
        const char *values[1] = { prefix };
        PGresult *result = PQexecPrepared(pg, "me", 1, values, NULL, NULL, 0);
        answer(fd, result);
        PQclear(result);
        rearm(fd);
    }
    return unused;
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: workers CONNINFO PORT WORKERS\n"); return 2; }
    conninfo = argv[1];
    int listener = listen_loopback(atoi(argv[2]));
    epoll_fd = epoll_create1(0);
    struct epoll_event event = { .events = EPOLLIN, .data.u64 = (unsigned)listener };
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listener, &event);
    for (int i = 0; i < atoi(argv[3]); i++) {
        pthread_t thread;
        pthread_create(&thread, NULL, work, NULL);
    }
    struct epoll_event events[256];
    for (;;) {
        int count = epoll_wait(epoll_fd, events, 256, -1);
        for (int i = 0; i < count; i++) {
            int fd = (int)events[i].data.u64;
            if (fd == listener) { accept_all(epoll_fd, listener, EPOLLIN | EPOLLONESHOT); continue; }
            switch (read_head(fd)) {
            case -1: close(fd); break;
            case 0: rearm(fd); break;
            default:
                pthread_mutex_lock(&queue_lock);
                queue[queue_tail++ % MAX_FDS] = fd;
                pthread_cond_signal(&queue_filled);
                pthread_mutex_unlock(&queue_lock);
            }
        }
    }
}
