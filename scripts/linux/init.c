/* trapvisor's Linux init: the only program in the initramfs, pid 1.
 *
 * Built with the kernel's own nolibc (tools/include/nolibc), no other C
 * library, for RV64IMA (no compressed instructions, no floating point), by
 * scripts/linux/build.sh. It exercises what an operating system is for and
 * prints what it saw, one line per step, every line starting with "init: ":
 *
 *   processes  fork four children, each exec()s this same program as
 *              "/init child N", computes something and exits with a status;
 *   crowd      sixteen processes alive at once, each with its own memory,
 *              taking turns (sched_yield, short sleeps) for eight rounds
 *              and checking after each turn that its memory still holds
 *              what it wrote: sixteen address spaces switched in and out;
 *   memory     mmap 1 MiB of anonymous memory, touch it page by page
 *              (demand paging: every first touch is a page fault that finds
 *              a zeroed page), fork, let the child overwrite every page
 *              (copy-on-write: the parent's pages must stay as they were)
 *              and send back what it saw through a pipe;
 *   time       sleep 20 ms on a timer and check that time went on;
 *   console    wait up to a second for a line on the console (the SBI's,
 *              which reads the UART) and read it, without echo (so that
 *              the output does not depend on when the input arrived);
 *
 * then prints a checksum (FNV-1a, 64 bits) of everything it computed and
 * read, which does not depend on timing, and powers the machine off with
 * reboot(LINUX_REBOOT_CMD_POWER_OFF), which the kernel turns into the SBI's
 * system_reset (SRST). The same kernel and the same console input give the
 * same lines and checksum on QEMU and on trapvisor, natively or under the
 * monitor.
 */

#include <asm/ioctls.h>
#include <asm/termbits.h>

#define PAGE 4096
#define PAGES 256
#define CHILDREN 4

static uint64_t checksum = 0xcbf29ce484222325ULL; /* FNV-1a offset basis */

/* mix: adds the 8 bytes of v to the checksum. */
static void mix(uint64_t v)
{
	for (int i = 0; i < 8; i++) {
		checksum ^= (v >> (8 * i)) & 0xff;
		checksum *= 0x100000001b3ULL; /* FNV prime */
	}
}

/* fail: says what went wrong and powers off (pid 1 must not exit: the
 * kernel would panic). The checksum line is never printed. */
static void fail(const char *what, long value)
{
	printf("init: FAILED: %s (%ld)\n", what, value);
	reboot(LINUX_REBOOT_CMD_POWER_OFF);
	for (;;)
		sched_yield();
}

/* collatz: the number of steps from n down to 1, what a child computes. */
static long collatz(unsigned long n)
{
	long steps = 0;

	while (n != 1) {
		n = (n & 1) ? 3 * n + 1 : n / 2;
		steps++;
	}
	return steps;
}

/* child_start: what child N starts from. */
static unsigned long child_start(long n)
{
	return 27 + 10 * (unsigned long)n;
}

/* child_main: "/init child N", a program exec()ed by pid 1. Its exit status
 * is the number of Collatz steps from child_start(N), modulo 256. */
static int child_main(const char *arg)
{
	unsigned long n = child_start(atol(arg));

	return (int)(collatz(n) & 0xff);
}

static void processes(char **envp)
{
	int statuses[CHILDREN];

	for (int i = 0; i < CHILDREN; i++) {
		char num[2] = { (char)('0' + i), 0 };
		char *argv[] = { "/init", "child", num, NULL };
		int status = 0;
		pid_t pid = fork();

		if (pid < 0)
			fail("fork", pid);
		if (pid == 0) {
			execve("/init", argv, envp);
			exit(100); /* exec failed */
		}
		if (waitpid(pid, &status, 0) != pid)
			fail("waitpid", pid);
		statuses[i] = WEXITSTATUS(status);
		if (statuses[i] != (int)(collatz(child_start(i)) & 0xff))
			fail("child's exit status", statuses[i]);
		mix(statuses[i]);
	}
	printf("init: processes: %d children exec'd /init, exit statuses %d %d %d %d\n",
	       CHILDREN, statuses[0], statuses[1], statuses[2], statuses[3]);
}

#define CROWD 16
#define CROWD_PAGES 8
#define CROWD_ROUNDS 8

/* crowd_member: the life of member `me` of the crowd. Its exit status is
 * me + 1 if its memory always held what it wrote, 0xff otherwise. */
static int crowd_member(int me)
{
	uint64_t *mem = mmap(NULL, CROWD_PAGES * PAGE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (mem == MAP_FAILED)
		return 0xff;
	for (uint64_t round = 0; round < CROWD_ROUNDS; round++) {
		for (int p = 0; p < CROWD_PAGES; p++) {
			uint64_t *page = mem + p * (PAGE / 8);
			uint64_t before = (uint64_t)me << 32 | (round - 1) << 16 | p;

			/* Fresh pages are zero; then each holds the last round's. */
			if (round == 0 ? page[0] != 0 || page[PAGE / 8 - 1] != 0
				       : page[0] != before || page[PAGE / 8 - 1] != ~before)
				return 0xff;
			page[0] = (uint64_t)me << 32 | round << 16 | p;
			page[PAGE / 8 - 1] = ~page[0];
		}
		if ((round + me) % 3 == 0)
			usleep(1000);
		else
			sched_yield();
	}
	return me + 1;
}

static void crowd(void)
{
	pid_t pids[CROWD];

	for (int i = 0; i < CROWD; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			fail("fork", pids[i]);
		if (pids[i] == 0)
			exit(crowd_member(i));
	}
	for (int i = 0; i < CROWD; i++) {
		int status = 0;

		if (waitpid(pids[i], &status, 0) != pids[i])
			fail("waitpid", pids[i]);
		if (WEXITSTATUS(status) != i + 1)
			fail("a crowd member's memory changed under it", i);
		mix(WEXITSTATUS(status));
	}
	printf("init: crowd: %d processes at once, %d rounds each, every one's memory intact\n",
	       CROWD, CROWD_ROUNDS);
}

static void memory(void)
{
	uint64_t *pages = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t zeros = 0, seen = 0;
	int fds[2], status = 0;
	pid_t pid;

	if (pages == MAP_FAILED)
		fail("mmap", errno);
	/* Demand paging: each page is mapped on its first touch, zeroed. */
	for (int i = 0; i < PAGES; i++) {
		uint64_t *page = pages + i * (PAGE / 8);

		zeros += page[0] == 0 && page[PAGE / 8 - 1] == 0;
		page[0] = 0x1000 + i;
		page[PAGE / 8 - 1] = (uint64_t)i * i;
	}
	if (zeros != PAGES)
		fail("fresh pages not zero", zeros);
	printf("init: mmap: %d pages touched one by one, all zero at first\n", PAGES);

	/* Copy-on-write: the child overwrites every page; the parent's copy
	 * must stay as it was. The child reports through a pipe. */
	if (my_syscall2(__NR_pipe2, fds, 0) < 0)
		fail("pipe2", errno);
	pid = fork();
	if (pid < 0)
		fail("fork", pid);
	if (pid == 0) {
		uint64_t sum = 0;

		for (int i = 0; i < PAGES; i++) {
			uint64_t *page = pages + i * (PAGE / 8);

			sum += page[0] + page[PAGE / 8 - 1];
			page[0] = ~page[0];
		}
		for (int i = 0; i < PAGES; i++)
			sum ^= pages[i * (PAGE / 8)] << (i % 32);
		write(fds[1], &sum, sizeof(sum));
		exit(0);
	}
	close(fds[1]);
	if (read(fds[0], &seen, sizeof(seen)) != sizeof(seen))
		fail("read from the pipe", errno);
	close(fds[0]);
	if (waitpid(pid, &status, 0) != pid || status != 0)
		fail("copy-on-write child", status);
	for (int i = 0; i < PAGES; i++) {
		uint64_t *page = pages + i * (PAGE / 8);

		if (page[0] != 0x1000 + (uint64_t)i || page[PAGE / 8 - 1] != (uint64_t)i * i)
			fail("parent's page changed under copy-on-write", i);
	}
	mix(seen);
	printf("init: copy-on-write: the child wrote every page and saw 0x%lx, the parent's pages are intact\n",
	       (unsigned long)seen);
	if (munmap(pages, PAGES * PAGE) != 0)
		fail("munmap", errno);
}

static void timer(void)
{
	struct timeval before, after;
	long elapsed_us;

	gettimeofday(&before, NULL);
	if (usleep(20000) != 0)
		fail("usleep", errno);
	gettimeofday(&after, NULL);
	elapsed_us = (after.tv_sec - before.tv_sec) * 1000000 + (after.tv_usec - before.tv_usec);
	if (elapsed_us < 20000)
		fail("slept less than 20 ms (us)", elapsed_us);
	mix(20000);
	printf("init: timer: slept 20 ms\n");
}

static void console(void)
{
	struct pollfd pfd = { .fd = 0, .events = POLLIN };
	char line[80];
	long n = 0;

	if (poll(&pfd, 1, 1000) > 0 && (pfd.revents & POLLIN))
		n = read(0, line, sizeof(line) - 1);
	if (n < 0)
		fail("read from the console", errno);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	line[n] = 0;
	for (long i = 0; i < n; i++)
		mix((unsigned char)line[i]);
	mix(n);
	if (n)
		printf("init: console: read \"%s\"\n", line);
	else
		printf("init: console: no input\n");
}

int main(int argc, char **argv, char **envp)
{
	struct termios tty;

	if (argc == 3 && !strcmp(argv[1], "child"))
		return child_main(argv[2]);
	/* No echo: input typed ahead would otherwise show up wherever the
	 * kernel happened to read it. */
	if (ioctl(0, TCGETS, &tty) == 0) {
		tty.c_lflag &= ~(ECHO | ECHONL);
		ioctl(0, TCSETS, &tty);
	}
	printf("init: hello from user space (pid %d)\n", getpid());
	processes(envp);
	crowd();
	memory();
	timer();
	console();
	printf("init: checksum 0x%lx\n", (unsigned long)checksum);
	printf("init: powering off\n");
	reboot(LINUX_REBOOT_CMD_POWER_OFF);
	fail("reboot", errno);
	return 1;
}
