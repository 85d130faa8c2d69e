/*
 * target.c: what a webhook target needs from the machine: its secret,
 * read from the file the bureau named, at the moment it is needed.
 *
 * The secret is never copied anywhere but the caller's buffer: not into
 * the store (which keeps the path), not into a message (which names the
 * path and what is wrong with the file, never its content).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/common.h"
#include "notify/notify.h"

#define SECRET_MAX	4096	/* a key, not a document */

int
notify_secret_read(const char *path, char **secret, char **why)
{
	struct stat	 sb;
	char		 buf[SECRET_MAX + 1];
	ssize_t		 n;
	size_t		 len = 0;
	int		 fd;

	*secret = NULL;
	*why = NULL;
	if (path == NULL || *path != '/') {
		*why = xstrdup("密钥文件应为绝对路径 / the secret file must be an "
		    "absolute path");
		return -1;
	}
	/* O_NONBLOCK: a FIFO put there would hold the loop in open() until
	 * someone wrote to it; it is refused below as not a regular file. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK)) == -1) {
		*why = xasprintf("%s: 无法读取密钥文件 / cannot read the secret "
		    "file: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		close(fd);
		*why = xasprintf("%s: 不是普通文件 / not a regular file", path);
		return -1;
	}
	/* Bounded: one byte more than we take tells a file too long. */
	while (len < sizeof(buf) && (n = read(fd, buf + len,
	    sizeof(buf) - len)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			*why = xasprintf("%s: %s", path, strerror(errno));
			close(fd);
			OPENSSL_cleanse(buf, sizeof(buf));
			return -1;
		}
		len += (size_t)n;
	}
	close(fd);
	if (len > SECRET_MAX) {
		OPENSSL_cleanse(buf, sizeof(buf));
		*why = xasprintf("%s: 密钥文件过长（上限 %d 字节）/ the secret file "
		    "is too long (at most %d bytes)", path, SECRET_MAX,
		    SECRET_MAX);
		return -1;
	}
	/* An editor's final newline is not part of the secret. */
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' ||
	    buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		len--;
	if (len == 0 || memchr(buf, '\0', len) != NULL) {
		OPENSSL_cleanse(buf, sizeof(buf));
		*why = xasprintf("%s: 密钥文件为空或不是文本 / the secret file is "
		    "empty or not text", path);
		return -1;
	}
	*secret = xstrndup(buf, len);
	OPENSSL_cleanse(buf, sizeof(buf));
	return 0;
}

void
notify_secret_free(char *secret)
{
	if (secret != NULL) {
		OPENSSL_cleanse(secret, strlen(secret));
		free(secret);
	}
}
