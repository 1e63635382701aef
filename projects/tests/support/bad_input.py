"""Odd and hostile query strings for the public list, its exports and every URL that reads list parameters:
each must answer 200, 400 or 404, never a server error."""

BAD_QUERIES = [
    "min_amount=abc",
    "page=0",
    "page=abc",
    "page=999",
    "page=-1",
    "page=1.5",
    "page=99999999999999999999999999",
    "donor=unknown-slug",
    "area=unknown-slug",
    "status=unknown-slug",
    "min_amount=" + "9" * 400,
    "max_amount=" + "9" * 400,
    "min_amount=1e400",
    "min_amount=NaN",
    "min_amount=Infinity",
    "min_amount=-1",
    "q=%C5%A0id+%E2%80%93+%E6%BC%A2%E5%AD%97+%F0%9F%98%80",
    "q=%27+OR+1%3D1+--",
    "q=%22%3E%3Cscript%3Ealert(1)%3C/script%3E",
    "q=100%25+_",
    "q=a%00b",
    "donor=%00",
    "area=%00",
    "status=%00",
    "currency=%00",
    "sort=%00",
    "min_amount=%00",
    "page=%00",
    "%00=%00",
    "q=%FF%FE",
    "q=" + "x" * 5000,
    "min_amount=10&max_amount=5",
    "sort=bogus",
    "currency=XXX",
    "currency=USD&currency=EUR&currency=XXX",
    "donor=european-union&donor=european-union&donor=european-union",
    "q=a&q=b&q=&page=1&page=2&sort=title&sort=-amount",
    "donor[]=european-union&area[0]=x&q[]=1",
    "donor=&area=&status=&currency=&min_amount=&max_amount=&sort=",
]


def short(value):
    return value if len(value) <= 50 else f"{value[:40]}...({len(value)} chars)"
