/*
 * smtpsend.c: the bare libcurl sender bench/mail.py compares ticd with:
 * the same bytes sent N times to one SMTP server over one reused
 * connection (one easy handle, curl_easy_perform), nothing else.
 *
 * usage: smtpsend URL FROM RCPT FILE N
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

struct src {
	const char	*data;
	size_t		 len;
	size_t		 off;
};

static size_t
read_cb(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct src	*s = arg;
	size_t		 n = size * nmemb;

	if (n > s->len - s->off)
		n = s->len - s->off;
	memcpy(buf, s->data + s->off, n);
	s->off += n;
	return n;
}

int
main(int argc, char **argv)
{
	struct curl_slist	*rcpt = NULL;
	struct src		 s = { NULL, 0, 0 };
	static char		 data[1 << 20];
	FILE			*f;
	CURL			*e;
	long			 i, n;

	if (argc != 6 || (f = fopen(argv[4], "rb")) == NULL)
		return 2;
	s.len = fread(data, 1, sizeof(data), f);
	fclose(f);
	s.data = data;
	n = atol(argv[5]);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	e = curl_easy_init();
	rcpt = curl_slist_append(rcpt, argv[3]);
	curl_easy_setopt(e, CURLOPT_URL, argv[1]);
	curl_easy_setopt(e, CURLOPT_MAIL_FROM, argv[2]);
	curl_easy_setopt(e, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(e, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(e, CURLOPT_READDATA, &s);
	curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)s.len);
	for (i = 0; i < n; i++) {
		s.off = 0;
		if (curl_easy_perform(e) != CURLE_OK)
			return 1;
	}
	curl_easy_cleanup(e);
	curl_slist_free_all(rcpt);
	curl_global_cleanup();
	return 0;
}
