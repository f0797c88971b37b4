/* A UDP listener for the services tests: the test image's busybox has no
 * UDP server. Built static by the test and copied into the container.
 * Usage: udp_listen PORT (binds 0.0.0.0:PORT and waits). */
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(argc > 1 ? atoi(argv[1]) : 9999)};
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
        return 1;
    for (;;)
        pause();
}
