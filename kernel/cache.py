"""The cache holds nothing whose loss matters (rate-limit counters): while Redis is unreachable a request goes on
as if nothing were cached, and the error is logged, rather than failing with a 500. So a Redis outage lifts the
rate limits for its length instead of stopping log-in, sign-up and the token endpoint. /readyz still reports it:
a value just stored does not come back."""

import functools
import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def _fail_open(fallback):
    def decorate(method):
        @functools.wraps(method)
        def wrapped(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except RedisError as exc:
                logger.warning("Cache unavailable (%s), going on without it: %s", method.__name__, exc)
                return fallback(*args, **kwargs)

        return wrapped

    return decorate


class FailOpenRedisCache(RedisCache):
    """Django's Redis cache, but an unreachable Redis reads as a miss and swallows writes. `add` answers True
    (as if stored) so callers taking a lock with it (allauth's rate limiter) go on instead of waiting it out."""

    add = _fail_open(lambda *a, **k: True)(RedisCache.add)
    get = _fail_open(lambda key, default=None, version=None: default)(RedisCache.get)
    set = _fail_open(lambda *a, **k: None)(RedisCache.set)
    touch = _fail_open(lambda *a, **k: False)(RedisCache.touch)
    delete = _fail_open(lambda *a, **k: False)(RedisCache.delete)
    get_many = _fail_open(lambda *a, **k: {})(RedisCache.get_many)
    has_key = _fail_open(lambda *a, **k: False)(RedisCache.has_key)
    set_many = _fail_open(lambda *a, **k: [])(RedisCache.set_many)
    delete_many = _fail_open(lambda *a, **k: None)(RedisCache.delete_many)
    clear = _fail_open(lambda *a, **k: None)(RedisCache.clear)
