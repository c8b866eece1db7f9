/* SPDX-License-Identifier: ISC */
#include "http.h"
#include "t.h"

/* Hosts no proxy may see, and those a redirect may not lead to. */
T_REGISTER("http_host_local", t_http_host_local)
static void
t_http_host_local(void)
{
	static const char *const local[] = {
		"127.0.0.1", "127.1.2.3", "::1", "localhost", "LocalHost",
		"api.localhost", "169.254.169.254", "169.254.170.2",
		"169.254.170.23", "169.254.0.1", "fe80::1", "febf::1",
		"fd00:ec2::254", "fd00:ec2::23", "::ffff:127.0.0.1",
		"::ffff:169.254.169.254",
	};
	static const char *const link[] = {
		"169.254.169.254", "169.254.170.2", "fe80::1", "fd00:ec2::254",
		"fd00:ec2::23", "::ffff:169.254.170.23",
	};
	static const char *const other[] = {
		"example.com", "origin.test", "10.0.0.1", "169.255.0.1",
		"128.0.0.1", "fd00:ec2::1", "fec0::1", "::", "localhost.example",
		"notlocalhost", "2001:db8::1",
	};
	size_t	 i;

	for (i = 0; i < sizeof(local) / sizeof(local[0]); i++)
		if (!T_TRUE(http_host_local(local[i])))
			t_eq_str(__FILE__, __LINE__, "host", local[i], "");
	for (i = 0; i < sizeof(link) / sizeof(link[0]); i++)
		if (!T_TRUE(http_host_link_local(link[i])))
			t_eq_str(__FILE__, __LINE__, "host", link[i], "");
	for (i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		if (!T_TRUE(!http_host_local(other[i])))
			t_eq_str(__FILE__, __LINE__, "host", other[i], "");
	T_TRUE(!http_host_link_local("127.0.0.1"));
	T_TRUE(!http_host_link_local("localhost"));
}
