/* The other shape: one thread, one epoll loop over both the clients and nonblocking libpq
 * connections, so no thread sleeps per query and nothing is handed between threads.
 * Usage: eventloop CONNINFO PORT CONNECTIONS */
#include "common.h"

#define MAX_PG 256
#define PG_TAG (1ull << 32)

static PGconn *pg[MAX_PG];
static int client_of[MAX_PG];
static int idle_pg[MAX_PG], idle_count;
static int waiting[MAX_FDS];
static unsigned waiting_head, waiting_tail;

static void send_query(int index, int fd) {
    char prefix[9];
    key_prefix(fd, prefix);
    const char *values[1] = { prefix };
    client_of[index] = fd;
    PQsendQueryPrepared(pg[index], "me", 1, values, NULL, NULL, 0);
    PQflush(pg[index]);
}

/* A connection's socket turned readable: take what arrived without blocking, and answer the
 * client once the query is complete (its result, then the end of the query). */
static void receive(int index) {
    static PGresult *first[MAX_PG];
    PQconsumeInput(pg[index]);
    while (!PQisBusy(pg[index])) {
        PGresult *result = PQgetResult(pg[index]);
        if (result) {
            if (first[index]) PQclear(result); else first[index] = result;
            continue;
        }
        answer(client_of[index], first[index]);
        PQclear(first[index]);
        first[index] = NULL;
        if (waiting_head != waiting_tail) send_query(index, waiting[waiting_head++ % MAX_FDS]);
        else idle_pg[idle_count++] = index;
        return;
    }
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: eventloop CONNINFO PORT CONNECTIONS\n"); return 2; }
    int listener = listen_loopback(atoi(argv[2]));
    int epoll_fd = epoll_create1(0);
    struct epoll_event event = { .events = EPOLLIN, .data.u64 = (unsigned)listener };
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listener, &event);
    int connections = atoi(argv[3]) < MAX_PG ? atoi(argv[3]) : MAX_PG;
    for (int i = 0; i < connections; i++) {
        pg[i] = connect_prepared(argv[1]);
        PQsetnonblocking(pg[i], 1);
        struct epoll_event readable = { .events = EPOLLIN, .data.u64 = PG_TAG | (unsigned)i };
        epoll_ctl(epoll_fd, EPOLL_CTL_ADD, PQsocket(pg[i]), &readable);
        idle_pg[idle_count++] = i;
    }
    struct epoll_event events[256];
    for (;;) {
        int count = epoll_wait(epoll_fd, events, 256, -1);
        for (int i = 0; i < count; i++) {
            unsigned long long data = events[i].data.u64;
            if (data & PG_TAG) { receive((int)(data & 0xffffffffu)); continue; }
            int fd = (int)data;
            if (fd == listener) { accept_all(epoll_fd, listener, EPOLLIN); continue; }
            switch (read_head(fd)) {
            case -1: epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, NULL); close(fd); break;
            case 0: break;
            default:
                if (idle_count) send_query(idle_pg[--idle_count], fd);
                else waiting[waiting_tail++ % MAX_FDS] = fd;
            }
        }
    }
}
