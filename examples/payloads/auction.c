/*
 * auction.c - a sealed-bid, second-price auction between two bidders.
 *
 * Each bidder owns one private input holding "NAME AMOUNT" (for example
 * "alice 120").  The payload opens both, finds the higher bid, and writes
 * to the output who won and what they pay: the other bid, or the reserve
 * price if that is higher (a Vickrey auction, so bidding one's true value
 * is the best strategy).  Neither bidder sees the other's input, only the
 * outcome.
 *
 * Written for Teaclave's payload API and nothing else: no libc, only
 * teaclave_context.h, built with
 *   clang-19 --target=wasm32 -nostdlib -Wl,--no-entry -Wl,--export-all \
 *     -Wl,--allow-undefined -I sdk/payload auction.c -o auction.wasm
 *
 * Arguments (all optional): bid_a, bid_b, result (the input and output
 * names; default "bid_a", "bid_b", "result") and reserve (default 0).
 * Returns 1 when the first bidder wins, 2 when the second does, 0 when
 * nobody reaches the reserve, 3 on a tie at the top; -1 when an input
 * cannot be read, -2 when a bid is malformed, -3 when the output cannot be
 * written.
 */
#include "teaclave_context.h"

#define MAX_BID_TEXT 256

typedef struct bid {
  char name[64];
  long long amount;
} bid;

static int streq(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return *a == *b;
}

static const char *arg(int argc, char **argv, const char *key,
                       const char *fallback) {
  for (int i = 0; i + 1 < argc; i += 2)
    if (streq(argv[i], key)) return argv[i + 1];
  return fallback;
}

static int is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Parse a non-negative decimal amount from s[*i..len); -1 if none. */
static long long parse_amount(const char *s, int *i, int len) {
  long long v = 0;
  int digits = 0;
  for (; *i < len && s[*i] >= '0' && s[*i] <= '9'; (*i)++, digits++) {
    if (v > 100000000000000ll) return -1; /* more money than exists */
    v = v * 10 + (s[*i] - '0');
  }
  return digits ? v : -1;
}

/* Read "NAME AMOUNT" from input fid into b: 0, -1 (cannot read) or -2. */
static int read_bid(const char *fid, bid *b) {
  char text[MAX_BID_TEXT];
  int fd = teaclave_open_input((char *)fid);
  if (fd < 0) return -1;
  int len = 0;
  for (;;) {
    int n = teaclave_read_file(fd, text + len, MAX_BID_TEXT - len);
    if (n < 0) {
      teaclave_close_file(fd);
      return -1;
    }
    if (n == 0) break;
    len += n;
    if (len == MAX_BID_TEXT) break;
  }
  teaclave_close_file(fd);
  if (len == MAX_BID_TEXT) return -2;
  int i = 0, n = 0;
  while (i < len && is_space(text[i])) i++;
  while (i < len && !is_space(text[i]) && n < (int)sizeof b->name - 1)
    b->name[n++] = text[i++];
  b->name[n] = '\0';
  if (n == 0 || i == len || !is_space(text[i])) return -2;
  while (i < len && is_space(text[i])) i++;
  b->amount = parse_amount(text, &i, len);
  while (i < len && is_space(text[i])) i++;
  return b->amount < 0 || i != len ? -2 : 0;
}

/* Append s to out at *n. */
static void put(char *out, int *n, const char *s) {
  while (*s) out[(*n)++] = *s++;
}

static void put_amount(char *out, int *n, long long v) {
  char digits[24];
  int k = 0;
  do {
    digits[k++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (k) out[(*n)++] = digits[--k];
}

int entrypoint(int argc, char **argv) {
  bid a, b;
  long long reserve = 0;
  const char *reserve_text = arg(argc, argv, "reserve", "0");
  int ri = 0, rlen = 0;
  while (reserve_text[rlen]) rlen++;
  reserve = parse_amount(reserve_text, &ri, rlen);
  if (reserve < 0 || ri != rlen) return -2;

  int ra = read_bid(arg(argc, argv, "bid_a", "bid_a"), &a);
  if (ra < 0) return ra;
  int rb = read_bid(arg(argc, argv, "bid_b", "bid_b"), &b);
  if (rb < 0) return rb;

  char out[256];
  int n = 0, code;
  const bid *winner = a.amount >= b.amount ? &a : &b;
  const bid *loser = winner == &a ? &b : &a;
  if (winner->amount < reserve) {
    put(out, &n, "no sale: no bid reaches the reserve of ");
    put_amount(out, &n, reserve);
    code = 0;
  } else if (a.amount == b.amount) {
    put(out, &n, "tie: ");
    put(out, &n, a.name);
    put(out, &n, " and ");
    put(out, &n, b.name);
    put(out, &n, " both bid ");
    put_amount(out, &n, a.amount);
    code = 3;
  } else {
    long long price = loser->amount > reserve ? loser->amount : reserve;
    put(out, &n, winner->name);
    put(out, &n, " wins and pays ");
    put_amount(out, &n, price);
    code = winner == &a ? 1 : 2;
  }
  out[n++] = '\n';

  int fd = teaclave_create_output((char *)arg(argc, argv, "result", "result"));
  if (fd < 0) return -3;
  int w = teaclave_write_file(fd, out, n);
  if (teaclave_close_file(fd) != 0 || w != n) return -3;
  return code;
}
