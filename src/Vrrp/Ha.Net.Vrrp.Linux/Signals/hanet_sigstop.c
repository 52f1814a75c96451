/*
 * libhanet_sigstop.so: hanet-vrrpd's stop on SIGTERM/SIGINT, done inside the signal handler (#18).
 *
 * .NET delivers a signal to managed code through a pipe, its signal thread and, for SIGTERM/SIGINT/SIGQUIT, a new
 * thread per signal: milliseconds before the daemon hears of it. keepalived sends its priority-0 adverts and removes its
 * VIPs within about 1 ms. This handler does the same first steps at once: it sends the frames the managed side armed
 * ahead (each master's priority-0 advert, then an RTM_DELADDR per VIP it holds), with sendto(2) only (async-signal-safe),
 * on descriptors kept for this, and then calls the handler that was installed before it (the .NET runtime's), so the
 * managed graceful stop (log lines, notify scripts, exit code, sd_notify) runs as before. The managed side asks
 * hanet_sigstop_sent() which frames went out and does not send them again.
 *
 * Slots are written by one managed thread at a time (the managed side holds a lock) and read by the handler: a slot is
 * marked unarmed before it is rewritten and armed after, with release/acquire ordering.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>

#define HANET_SLOTS 256
#define HANET_FRAME 1024
#define HANET_ADDRESS 128

struct hanet_slot {
    int armed;      /* 1 while the frame is to be sent */
    int sent;       /* 1 once the handler sent it */
    int kind;       /* 1 advert (sent first), 2 address removal */
    int fd;
    int length;
    int address_length;
    unsigned char frame[HANET_FRAME];
    unsigned char address[HANET_ADDRESS];
};

static struct hanet_slot slots[HANET_SLOTS];
static struct sigaction previous[NSIG];
static volatile sig_atomic_t fired;

static void send_kind(int kind)
{
    for (int i = 0; i < HANET_SLOTS; i++) {
        struct hanet_slot *s = &slots[i];
        if (!__atomic_load_n(&s->armed, __ATOMIC_ACQUIRE) || s->kind != kind)
            continue;
        const struct sockaddr *to = s->address_length > 0 ? (const struct sockaddr *)s->address : 0;
        /* Marked sent before the syscall: the kernel announces an address removal inside sendto(2), and the daemon's
         * watcher, woken on the other core, must already see it as the handler's own. Unmarked if it failed. */
        __atomic_store_n(&s->sent, 1, __ATOMIC_SEQ_CST);
        int ok = 0;
        for (int tries = 0; tries < 3 && !ok; tries++) {
            if (sendto(s->fd, s->frame, (size_t)s->length, MSG_DONTWAIT, to, (socklen_t)s->address_length) >= 0)
                ok = 1;
            else if (errno != EINTR)
                break;
        }
        if (!ok)
            __atomic_store_n(&s->sent, 0, __ATOMIC_SEQ_CST);
    }
}

static void handler(int signo, siginfo_t *info, void *context)
{
    int saved = errno;
    if (!fired) {
        fired = 1;
        send_kind(1);
        send_kind(2);
    }
    errno = saved;

    struct sigaction *p = &previous[signo];
    if (p->sa_flags & SA_SIGINFO) {
        if (p->sa_sigaction != 0)
            p->sa_sigaction(signo, info, context);
    } else if (p->sa_handler != SIG_DFL && p->sa_handler != SIG_IGN && p->sa_handler != 0) {
        p->sa_handler(signo);
    }
}

/* Installs the handler for signo in front of the one installed now; 0 or -errno. */
int hanet_sigstop_install(int signo)
{
    if (signo <= 0 || signo >= NSIG)
        return -EINVAL;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    return sigaction(signo, &sa, &previous[signo]) == 0 ? 0 : -errno;
}

/* Arms slot with a frame to send on fd (to address, or none for a connected or netlink socket); 0 or -EINVAL. */
int hanet_sigstop_arm(int slot, int kind, int fd, const unsigned char *frame, int length, const unsigned char *address, int address_length)
{
    if (slot < 0 || slot >= HANET_SLOTS || length <= 0 || length > HANET_FRAME || address_length < 0 || address_length > HANET_ADDRESS)
        return -EINVAL;
    struct hanet_slot *s = &slots[slot];
    __atomic_store_n(&s->armed, 0, __ATOMIC_RELEASE);
    s->kind = kind;
    s->fd = fd;
    s->length = length;
    s->address_length = address_length;
    memcpy(s->frame, frame, (size_t)length);
    if (address_length > 0)
        memcpy(s->address, address, (size_t)address_length);
    __atomic_store_n(&s->sent, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&s->armed, 1, __ATOMIC_RELEASE);
    return 0;
}

/* Disarms slot; returns whether the handler had sent its frame. */
int hanet_sigstop_disarm(int slot)
{
    if (slot < 0 || slot >= HANET_SLOTS)
        return 0;
    __atomic_store_n(&slots[slot].armed, 0, __ATOMIC_RELEASE);
    return __atomic_load_n(&slots[slot].sent, __ATOMIC_ACQUIRE);
}

/* Whether the handler sent slot's frame. */
int hanet_sigstop_sent(int slot)
{
    return slot >= 0 && slot < HANET_SLOTS && __atomic_load_n(&slots[slot].sent, __ATOMIC_ACQUIRE);
}

/* Whether the handler ran. */
int hanet_sigstop_fired(void)
{
    return fired != 0;
}

/* The number of slots. */
int hanet_sigstop_slots(void)
{
    return HANET_SLOTS;
}
