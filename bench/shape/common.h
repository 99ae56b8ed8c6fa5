/* What both shape servers share: the statement GET /me runs (as bench/me.sql), the listening
 * socket, reading a request head, and the answer. They serve only GET /me with a Bearer key
 * over keep-alive connections, without hashing the secret, logging or JSON encoding: the
 * least a server can do for that request, to measure what a server shape allows. */
#define _GNU_SOURCE
#include <libpq-fe.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define ME_SQL \
    "SELECT k.id AS key_id, k.last_used_at, k.revoked_at, encode(k.secret_hash, 'hex') AS secret_hash, " \
    "k.rate_limit_per_second, u.id AS user_id, u.name, u.email, u.role, u.active " \
    "FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.prefix = $1"
#define MAX_FDS 65536

typedef struct { char bytes[8192]; int length; } inbound;
static inbound *inbounds[MAX_FDS];

static PGconn *connect_prepared(const char *conninfo) {
    PGconn *pg = PQconnectdb(conninfo);
    if (PQstatus(pg) != CONNECTION_OK) { fprintf(stderr, "shape: %s", PQerrorMessage(pg)); exit(1); }
    PQclear(PQprepare(pg, "me", ME_SQL, 1, NULL));
    return pg;
}

static int listen_loopback(int port) {
    int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (bind(fd, (struct sockaddr *)&address, sizeof address) || listen(fd, 1024)) { perror("shape: listen"); exit(1); }
    return fd;
}

/* Accepts every pending client and registers it with `events`. */
static void accept_all(int epoll_fd, int listener, unsigned events) {
    int one = 1, fd;
    while ((fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK)) >= 0 && fd < MAX_FDS) {
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (!inbounds[fd]) inbounds[fd] = calloc(1, sizeof(inbound));
        inbounds[fd]->length = 0;
        struct epoll_event event = { .events = events, .data.u64 = (unsigned)fd };
        epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event);
    }
}

/* Reads what the client sent: 1 when a whole head is buffered, 0 for more, -1 when closed. */
static int read_head(int fd) {
    inbound *in = inbounds[fd];
    ssize_t n = read(fd, in->bytes + in->length, sizeof in->bytes - 1 - in->length);
    if (n < 0 && errno == EAGAIN) return 0;
    if (n <= 0) return -1;
    in->length += n;
    in->bytes[in->length] = 0;
    return strstr(in->bytes, "\r\n\r\n") ? 1 : 0;
}

/* The key prefix of the buffered request's `Authorization: Bearer ck_<prefix>_…`. */
static void key_prefix(int fd, char prefix[9]) {
    char *bearer = strcasestr(inbounds[fd]->bytes, "\r\nAuthorization: Bearer ck_");
    memset(prefix, 0, 9);
    if (bearer) memcpy(prefix, bearer + 27, 8);
    inbounds[fd]->length = 0;
}

/* Writes the answer for a result of ME_SQL: the user, or 401 without one. */
static void answer(int fd, PGresult *result) {
    char body[1024], response[2048];
    int body_length, length;
    if (PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1) {
        body_length = snprintf(body, sizeof body,
            "{\"id\":\"%s\",\"name\":\"%s\",\"email\":\"%s\",\"role\":\"%s\",\"api_key_id\":\"%s\"}",
            PQgetvalue(result, 0, 4), PQgetvalue(result, 0, 5), PQgetvalue(result, 0, 6),
            PQgetvalue(result, 0, 7), PQgetvalue(result, 0, 0));
        length = snprintf(response, sizeof response,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", body_length, body);
    } else {
        length = snprintf(response, sizeof response, "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n");
    }
    send(fd, response, length, MSG_NOSIGNAL);
}
