/* h_dashboard.c - GET /dashboard: the embedded static dashboard page (it holds no data; its requests carry the token). */
#include <event2/http.h>
#include <stddef.h>

#include "handlers.h"

extern const char dashboard_doc[];
extern const size_t dashboard_doc_len;

void h_dashboard(struct req *r)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->ev);
	evhttp_add_header(h, "Content-Security-Policy",
			  "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'");
	req_reply_raw(r, 200, "text/html; charset=utf-8", dashboard_doc, dashboard_doc_len);
}
