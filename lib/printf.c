/*
 * lib/printf.c - vsnprintf for the hypervisor and the guests.
 * Output is always NUL-terminated when size > 0; the return value is the
 * length the full output would have had, as in C99.
 */
#include "lib/printf.h"
#include "lib/string.h"

struct out {
	char *buf;
	size_t size;
	size_t len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_num(struct out *o, u64 v, bool neg, unsigned base, bool upper,
		    int width, int prec, bool left, char pad, char sign_ch,
		    bool alt)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0, len, i;

	if (!(v == 0 && prec == 0))
		do {
			tmp[n++] = digits[v % base];
			v /= base;
		} while (v);
	while (n < prec && n < (int)sizeof(tmp))
		tmp[n++] = '0';
	len = n + (neg || sign_ch ? 1 : 0) + (alt && base == 16 ? 2 : 0);
	if (prec >= 0)
		pad = ' ';
	if (!left && pad == ' ')
		for (i = len; i < width; i++)
			put(o, ' ');
	if (neg)
		put(o, '-');
	else if (sign_ch)
		put(o, sign_ch);
	if (alt && base == 16) {
		put(o, '0');
		put(o, upper ? 'X' : 'x');
	}
	if (!left && pad == '0')
		for (i = len; i < width; i++)
			put(o, '0');
	while (n)
		put(o, tmp[--n]);
	if (left)
		for (i = len; i < width; i++)
			put(o, ' ');
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };

	for (; *fmt; fmt++) {
		bool left = false, alt = false;
		char pad = ' ', sign_ch = 0;
		int width = 0, prec = -1, lng = 0;

		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		fmt++;
		for (;; fmt++) {
			if (*fmt == '-')
				left = true;
			else if (*fmt == '0')
				pad = '0';
			else if (*fmt == '+')
				sign_ch = '+';
			else if (*fmt == ' ')
				sign_ch = sign_ch ? sign_ch : ' ';
			else if (*fmt == '#')
				alt = true;
			else
				break;
		}
		if (*fmt == '*') {
			width = va_arg(ap, int);
			if (width < 0) {
				left = true;
				width = -width;
			}
			fmt++;
		} else {
			while (*fmt >= '0' && *fmt <= '9')
				width = width * 10 + (*fmt++ - '0');
		}
		if (*fmt == '.') {
			fmt++;
			prec = 0;
			if (*fmt == '*') {
				prec = va_arg(ap, int);
				fmt++;
			} else {
				while (*fmt >= '0' && *fmt <= '9')
					prec = prec * 10 + (*fmt++ - '0');
			}
		}
		for (;; fmt++) {
			if (*fmt == 'l')
				lng++;
			else if (*fmt == 'z' || *fmt == 'j' || *fmt == 't')
				lng = 2;
			else if (*fmt == 'h')
				; /* promoted to int anyway */
			else
				break;
		}
		if (left)
			pad = ' ';

		switch (*fmt) {
		case 'd':
		case 'i': {
			s64 v = lng ? va_arg(ap, s64) : va_arg(ap, int);
			bool neg = v < 0;

			put_num(&o, neg ? -(u64)v : (u64)v, neg, 10, false, width,
				prec, left, pad, sign_ch, false);
			break;
		}
		case 'u':
		case 'x':
		case 'X':
		case 'o': {
			u64 v = lng ? va_arg(ap, u64) : va_arg(ap, unsigned int);
			unsigned base = *fmt == 'u' ? 10 : *fmt == 'o' ? 8 : 16;

			put_num(&o, v, false, base, *fmt == 'X', width, prec, left,
				pad, 0, alt && v);
			break;
		}
		case 'p':
			put_num(&o, (u64)(uintptr_t)va_arg(ap, void *), false, 16,
				false, width, prec, left, pad, 0, true);
			break;
		case 'c': {
			int i;

			if (!left)
				for (i = 1; i < width; i++)
					put(&o, ' ');
			put(&o, (char)va_arg(ap, int));
			if (left)
				for (i = 1; i < width; i++)
					put(&o, ' ');
			break;
		}
		case 's': {
			const char *s = va_arg(ap, const char *);
			int n, i;

			if (!s)
				s = "(null)";
			n = prec >= 0 ? (int)strnlen(s, prec) : (int)strlen(s);
			if (!left)
				for (i = n; i < width; i++)
					put(&o, ' ');
			for (i = 0; i < n; i++)
				put(&o, s[i]);
			if (left)
				for (i = n; i < width; i++)
					put(&o, ' ');
			break;
		}
		case '%':
			put(&o, '%');
			break;
		case 0:
			fmt--;
			break;
		default:
			put(&o, '%');
			put(&o, *fmt);
			break;
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = 0;
	return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
