/* SPDX-License-Identifier: ISC */
#include <string.h>

#include "buf.h"
#include "t.h"

static int	 moved, dirty;

/* Every block a buffer leaves must hold only zeros. */
static void
check_moved(const void *p, size_t n)
{
	const unsigned char	*b = p;
	size_t			 i;

	moved++;
	for (i = 0; i < n; i++)
		if (b[i] != 0)
			dirty++;
}

T_REGISTER("buf_wipe_on_move", t_buf_wipe_on_move)
static void
t_buf_wipe_on_move(void)
{
	static const char	 tok[] = "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB";
	struct buf		 b = BUF_INIT(1u << 20);
	int			 i;

	buf_set_moved_hook(check_moved);
	moved = dirty = 0;
	/* Grown by doubling (buf_add) ... */
	for (i = 0; i < 64; i++)
		T_OK(buf_adds(&b, tok));
	T_TRUE(moved >= 5);
	T_EQ_INT(dirty, 0);
	T_EQ_INT(b.len, 64 * (sizeof(tok) - 1));
	T_TRUE(memcmp(b.p + 63 * (sizeof(tok) - 1), tok, sizeof(tok)) == 0);
	/* ... and to a size asked for (buf_reserve). */
	i = moved;
	T_OK(buf_reserve(&b, 100000));
	T_EQ_INT(moved, i + 1);
	T_EQ_INT(dirty, 0);
	T_TRUE(memcmp(b.p, tok, sizeof(tok) - 1) == 0);
	T_OK(buf_addf(&b, "%s", tok));
	T_EQ_INT(moved, i + 1);		/* reserved: no move */
	buf_set_moved_hook(NULL);
	buf_release(&b);
}
