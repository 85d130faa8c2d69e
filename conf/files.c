/*
 * files.c: reading whole files and finding the data directory.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"
#include "conf/conf.h"

#ifndef DATADIR
#define DATADIR "/usr/local/share/ticd"
#endif

/* Configuration and tables are small; anything larger is a mistake. */
#define CONF_MAX_FILE	(64 * 1024 * 1024)

int
conf_read_file(const char *path, char **text, size_t *len, char **error)
{
	FILE		*f;
	struct buf	 b = { 0 };
	char		 chunk[65536];
	size_t		 n;

	if ((f = fopen(path, "rb")) == NULL) {
		*error = xasprintf("%s: 无法打开 / cannot open: %s", path,
		    strerror(errno));
		return -1;
	}
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		buf_add(&b, chunk, n);
		if (b.len > CONF_MAX_FILE) {
			*error = xasprintf("%s: 文件过大（超过 %d MiB）/ file "
			    "too large (over %d MiB)", path,
			    CONF_MAX_FILE >> 20, CONF_MAX_FILE >> 20);
			goto fail;
		}
	}
	if (ferror(f)) {
		*error = xasprintf("%s: 读取失败 / read error: %s", path,
		    strerror(errno));
		goto fail;
	}
	fclose(f);
	*len = b.len;
	*text = buf_take(&b);
	return 0;
fail:
	fclose(f);
	buf_free(&b);
	return -1;
}

static bool
is_dir(const char *path)
{
	struct stat	 st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

char *
conf_datadir(void)
{
	const char	*env = getenv("TICD_DATADIR");
	char		 exe[PATH_MAX], *dir;
	ssize_t		 n;

	if (env != NULL && *env != '\0')
		return xstrdup(env);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		dir = xasprintf("%s/../share/ticd", dirname(exe));
		if (is_dir(dir))
			return dir;
		free(dir);
	}
	return xstrdup(DATADIR);
}

char *
conf_data_path(const char *name)
{
	char	*dir = conf_datadir(), *path;

	path = xasprintf("%s/%s", dir, name);
	free(dir);
	return path;
}

int
conf_load_calendar(struct sched_calendar *cal, const char *path, char **error)
{
	char	*text;
	size_t	 len;
	int	 rc;

	if (conf_read_file(path, &text, &len, error) == -1)
		return -1;
	rc = sched_calendar_load(cal, path, text, len, error);
	free(text);
	return rc;
}

int
conf_load_rules(struct sched_rules *rules, const char *path, char **error)
{
	char	*text;
	size_t	 len;
	int	 rc;

	if (conf_read_file(path, &text, &len, error) == -1)
		return -1;
	rc = sched_rules_load(rules, path, text, len, error);
	free(text);
	return rc;
}
