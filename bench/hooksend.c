/*
 * hooksend.c: the bare libcurl sender bench/webhooks.py compares ticd
 * with: the same signed POST sent N times to one URL, 16 transfers at a
 * time on one multi handle (connections reused), nothing else: no store,
 * no signing per request, no event loop of ours.
 *
 * usage: hooksend URL BODYFILE N [PARALLEL]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

static size_t
discard_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	(void)data;
	(void)arg;
	return size * nmemb;
}

static CURL *
easy(const char *url, const char *body, size_t len, struct curl_slist *h)
{
	CURL	*e = curl_easy_init();

	if (e == NULL)
		exit(1);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard_cb);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	return e;
}

int
main(int argc, char **argv)
{
	static char		 body[1 << 20];
	struct curl_slist	*h = NULL;
	CURLM			*m;
	CURLMsg			*msg;
	FILE			*f;
	size_t			 len;
	long			 n, parallel, started = 0, done = 0, bad = 0, code;
	int			 running, left;

	if (argc < 4 || (f = fopen(argv[2], "rb")) == NULL) {
		fprintf(stderr, "usage: hooksend URL BODYFILE N [PARALLEL]\n");
		return 2;
	}
	len = fread(body, 1, sizeof(body) - 1, f);
	fclose(f);
	n = strtol(argv[3], NULL, 10);
	parallel = argc > 4 ? strtol(argv[4], NULL, 10) : 16;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "webhook-id: msg_bench");
	h = curl_slist_append(h, "webhook-timestamp: 1764550800");
	h = curl_slist_append(h, "webhook-signature: v1,"
	    "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	h = curl_slist_append(h, "Expect:");
	m = curl_multi_init();
	curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, parallel);
	while (started < n && started < parallel) {
		curl_multi_add_handle(m, easy(argv[1], body, len, h));
		started++;
	}
	while (done < n) {
		curl_multi_perform(m, &running);
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle,
			    CURLINFO_RESPONSE_CODE, &code);
			if (msg->data.result != CURLE_OK || code / 100 != 2)
				bad++;
			curl_multi_remove_handle(m, msg->easy_handle);
			curl_easy_cleanup(msg->easy_handle);
			done++;
			if (started < n) {
				curl_multi_add_handle(m, easy(argv[1], body,
				    len, h));
				started++;
			}
		}
		if (done < n)
			curl_multi_poll(m, NULL, 0, 1000, NULL);
	}
	curl_multi_cleanup(m);
	curl_slist_free_all(h);
	curl_global_cleanup();
	printf("%ld sent, %ld failed\n", n, bad);
	return bad != 0;
}
