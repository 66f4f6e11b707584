"""Settings, read from the environment.

Every variable left unset falls back to an embedded default that needs nothing but Python (SQLite, in-memory
cache and channel layer, a file-system Celery broker, the sandbox payment gateway, e-mail written to a folder).
Setting DATABASE_URL, REDIS_URL, STRIPE_* and EMAIL_URL moves each part to its production-like component.
"""

from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

# .env first: every setting below may come from it (the process environment wins over the file).
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
env = environ.Env()
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))

# --- Core ---
# An unset DEBUG means production: DEBUG off, SECRET_KEY and ALLOWED_HOSTS required. Development says so
# explicitly (`make run` and bin/run-dev export DEBUG=1 and DEV_MAILBOX=1; the test settings set DEBUG=1).
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-secret-key-change-me" if DEBUG else environ.Env.NOTSET)
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else environ.Env.NOTSET
)
# The development mailbox at /dev/mailbox/ (staff only) lists every e-mail the site wrote to MAILBOX_DIR,
# password-reset links included: only ever on when asked for by name.
DEV_MAILBOX = env.bool("DEV_MAILBOX", default=False)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_ID = 1
SITE_NAME = "Workbench"
# Absolute links in e-mails sent outside a request (invitations): where users reach the site.
SITE_URL = env.str("SITE_URL", default="http://localhost:8000")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "django.forms",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "channels",
    "django_celery_beat",
    "django_htmx",
    "django_countries",
    "kernel",
    "marketplace",
    "accounts",
    "messaging",
    "payments",
    "jobs",
    "contracts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "kernel.middleware.RejectNulBytesMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "kernel.middleware.UserTimezoneMiddleware",
    "kernel.middleware.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "marketplace.urls"
WSGI_APPLICATION = "marketplace.wsgi.application"
ASGI_APPLICATION = "marketplace.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "marketplace.context_processors.site",
            ],
        },
    },
]

# --- Database ---
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if IS_POSTGRES:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    # SQLite: wait on a locked database instead of failing when the worker writes at the same time as a page.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, channel layer, Celery ---
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    # The cache holds only rate-limit counters: an unreachable Redis lifts the limits (logged), never a 500.
    CACHES = {
        "default": {
            "BACKEND": "kernel.cache.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}}
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    # kombu's filesystem transport: a broker that needs no server and still works across processes.
    CELERY_BROKER_URL = "filesystem://"
    _broker_dir = VAR_DIR / "celery"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Periodic work; each app adds its entries (the database scheduler picks them up at start).
CELERY_BEAT_SCHEDULE = {
    "payments-release-matured-holds": {
        "task": "payments.tasks.release_matured_holds",
        "schedule": timedelta(minutes=15),
    },
    "payments-reconcile-pending": {
        "task": "payments.tasks.reconcile_pending_operations",
        "schedule": timedelta(minutes=5),
    },
    "jobs-saved-searches-notify": {"task": "jobs.tasks.saved_searches_notify", "schedule": timedelta(minutes=15)},
    "jobs-talent-index-refresh": {"task": "jobs.tasks.talent_index_refresh_stale", "schedule": timedelta(minutes=5)},
    # Working windows are stored in UTC; refresh them so daylight-saving changes move them.
    "jobs-windows-refresh": {"task": "jobs.tasks.job_windows_refresh", "schedule": timedelta(hours=6)},
    "contracts-offers-expire": {"task": "contracts.tasks.offers_expire_due", "schedule": timedelta(minutes=15)},
    "contracts-milestones-auto-approve": {
        "task": "contracts.tasks.milestones_auto_approve_due",
        "schedule": timedelta(minutes=15),
    },
    # Closes Monday's weeks, retries failed charges daily and releases reviewed weeks: each step is due at an
    # instant, and the fan-out finds what is due every time it runs.
    "contracts-hourly-billing": {"task": "contracts.tasks.billing_cycle_fan_out", "schedule": timedelta(minutes=15)},
    "contracts-disputes-clock": {"task": "contracts.tasks.disputes_clock", "schedule": timedelta(minutes=15)},
    "contracts-feedback-reveal": {"task": "contracts.tasks.feedback_reveal_due", "schedule": timedelta(minutes=15)},
    # Scores age (recent contracts count double): recompute daily; events recompute one freelancer at once.
    "contracts-job-success-refresh": {"task": "contracts.tasks.job_success_refresh_all", "schedule": timedelta(days=1)},
}

# --- Auth and accounts (django-allauth)
AUTH_USER_MODEL = "accounts.User"
# One backend, so a login attempt costs one password hash (allauth's also hashes once for an unknown address).
# It is Django's ModelBackend underneath: permissions and the admin login work as before.
AUTHENTICATION_BACKENDS = ["allauth.account.auth_backends.AuthenticationBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_FORMS = {
    "signup": "accounts.forms.SignupForm",
    "login": "accounts.forms.LoginForm",
    "reset_password": "accounts.forms.ResetPasswordForm",
    "reset_password_from_key": "accounts.forms.ResetPasswordKeyForm",
}
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
# Failed logins are limited per client address and per account, the web login and POST /api/v1/auth/token/
# counting together; sign-ups per address (allauth's own limiter, on the cache). The client address is
# REMOTE_ADDR, or with TRUSTED_PROXY_COUNT proxies in front, the address the outermost of them saw.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
ACCOUNT_RATE_LIMITS = {
    "login_failed": env.str("RATE_LIMIT_LOGIN_FAILED", default="10/m/ip,5/5m/key"),
    "signup": env.str("RATE_LIMIT_SIGNUP", default="20/h/ip"),
    "reset_password": "20/m/ip,5/m/key",
}

# --- E-mail
EMAIL_URL = env.str("EMAIL_URL", default="")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default=f"{SITE_NAME} <no-reply@workbench.test>")
MAILBOX_DIR = VAR_DIR / "mail"
if EMAIL_URL:
    vars().update(env.email_url_config(EMAIL_URL))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(MAILBOX_DIR)

# --- Payments ---
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")
PAYMENT_GATEWAY = "stripe" if STRIPE_SECRET_KEY else "sandbox"
DEFAULT_CURRENCY = "USD"
PAYMENT_CURRENCIES = env.list("PAYMENT_CURRENCIES", default=["USD"])
# The largest single charge, release, refund or payout we accept (cents): $1,000,000.
MAX_PAYMENT_CENTS = env.int("MAX_PAYMENT_CENTS", default=100_000_000)
# A gateway operation still pending after this long is looked up at the gateway and settled by the reconcile job.
RECONCILE_AFTER_MINUTES = env.int("RECONCILE_AFTER_MINUTES", default=10)

# --- Business rules (PRODUCT.md); every number is a setting ---
FREELANCER_FEE_PERCENT = env.int("FREELANCER_FEE_PERCENT", default=10)
CLIENT_FEE_PERCENT = env.int("CLIENT_FEE_PERCENT", default=5)
SECURITY_HOLD_DAYS = env.int("SECURITY_HOLD_DAYS", default=5)
AUTO_APPROVE_DAYS = env.int("AUTO_APPROVE_DAYS", default=14)
OFFER_EXPIRY_DAYS = env.int("OFFER_EXPIRY_DAYS", default=7)
MIN_WITHDRAWAL_CENTS = env.int("MIN_WITHDRAWAL_CENTS", default=1000)
PROPOSALS_PER_WEEK = env.int("PROPOSALS_PER_WEEK", default=30)
FEEDBACK_WINDOW_DAYS = env.int("FEEDBACK_WINDOW_DAYS", default=14)
HOURLY_REVIEW_DAYS = env.int("HOURLY_REVIEW_DAYS", default=5)
CHARGE_RETRY_DAYS = env.int("CHARGE_RETRY_DAYS", default=3)
DISPUTE_RESPONSE_DAYS = env.int("DISPUTE_RESPONSE_DAYS", default=5)
JOB_SUCCESS_MIN_CONTRACTS = env.int("JOB_SUCCESS_MIN_CONTRACTS", default=3)
MIN_HOURLY_RATE_CENTS = env.int("MIN_HOURLY_RATE_CENTS", default=300)
MAX_HOURLY_RATE_CENTS = env.int("MAX_HOURLY_RATE_CENTS", default=99_900)
MAX_UPLOAD_BYTES = env.int("MAX_UPLOAD_BYTES", default=5 * 1024 * 1024)
MAX_IMAGE_BYTES = env.int("MAX_IMAGE_BYTES", default=2 * 1024 * 1024)
# A few bytes of PNG can claim 12000×12000 pixels: pictures are refused above this many, before decoding.
MAX_IMAGE_PIXELS = env.int("MAX_IMAGE_PIXELS", default=25_000_000)
# Freelancer profiles (accounts): the longest daily working window, and how much a profile may list.
MAX_WORKING_WINDOW_MINUTES = env.int("MAX_WORKING_WINDOW_MINUTES", default=16 * 60)
MAX_AVAILABILITY_HOURS_PER_WEEK = env.int("MAX_AVAILABILITY_HOURS_PER_WEEK", default=80)
MAX_PROFILE_SKILLS = env.int("MAX_PROFILE_SKILLS", default=15)
MAX_PORTFOLIO_ITEMS = env.int("MAX_PORTFOLIO_ITEMS", default=12)
# An invitation to join an organization can be accepted for this long after it was sent.
ORG_INVITATION_EXPIRY_DAYS = env.int("ORG_INVITATION_EXPIRY_DAYS", default=14)

# --- API ---
REST_FRAMEWORK = {
    # Token first: an unauthenticated call gets 401 with a `WWW-Authenticate: Token` challenge, not a bare 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "kernel.pagination.CappedLimitOffsetPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "kernel.api_errors.exception_handler",
    # Any DRF throttle keys on the trusted-proxy address too, never on a raw X-Forwarded-For.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}
SPECTACULAR_SETTINGS = {
    "TITLE": f"{SITE_NAME} API",
    "DESCRIPTION": "Everything a user can do in the browser. Errors are JSON: {code, detail}.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "marketplace.openapi.document_common_errors",
    ],
    "ENUM_NAME_OVERRIDES": {
        "JobStatusEnum": "jobs.models.Job.Status",
        "JobCloseReasonEnum": "jobs.models.Job.CloseReason",
        "ProposalStatusEnum": "jobs.models.Proposal.Status",
        "JobInvitationStatusEnum": "jobs.models.Invitation.Status",
        "JobDurationEnum": "jobs.models.Duration",
        "ReportCategoryEnum": "messaging.models.Report.Category",
        "SkillCategoryEnum": "accounts.models.Skill.Category",
        "PayoutMethodKindEnum": "payments.models.PayoutMethod.Kind",
        "DisputeStatusEnum": "contracts.models.Dispute.Status",
        "PartyEnum": "contracts.models.Party",
    },
}

# --- I18N, time ---
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media ---
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_BYTES
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_BYTES * 2

# --- Security ---
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Only a trusted proxy may say the request came over https.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXY_COUNT else None
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSP_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "connect-src 'self' ws: wss:; frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Sessions last two weeks.
SESSION_COOKIE_AGE = int(timedelta(days=14).total_seconds())

FORM_RENDERER = "kernel.forms.FormRenderer"

# --- Jobs and search ---
SEARCH_PAGE_SIZE = env.int("SEARCH_PAGE_SIZE", default=20)
# Searches page through at most SEARCH_CANDIDATES ranked matches; a page number past this one is refused.
SEARCH_MAX_PAGE = env.int("SEARCH_MAX_PAGE", default=1000)
# Relevance is ranked among at most this many newest matches (ENVIRONMENT.md "Search at marketplace scale").
SEARCH_CANDIDATES = env.int("SEARCH_CANDIDATES", default=500)
SAVED_SEARCH_MAX_NOTIFIED = env.int("SAVED_SEARCH_MAX_NOTIFIED", default=10)

# --- Offers, contracts and milestones ---
MAX_WEEKLY_HOUR_LIMIT = env.int("MAX_WEEKLY_HOUR_LIMIT", default=80)
MAX_OFFER_MILESTONES = env.int("MAX_OFFER_MILESTONES", default=20)
MAX_CONTRACT_AMOUNT_CENTS = env.int("MAX_CONTRACT_AMOUNT_CENTS", default=100_000_000)
MAX_SUBMISSION_FILES = env.int("MAX_SUBMISSION_FILES", default=5)
# --- Messaging, notifications and the outbox (issue 16, DESIGN.md) ---
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=10)
MESSAGE_EMAIL_AFTER_MINUTES = env.int("MESSAGE_EMAIL_AFTER_MINUTES", default=10)
MESSAGES_PER_MINUTE = env.int("MESSAGES_PER_MINUTE", default=30)
REPORTS_PER_DAY = env.int("REPORTS_PER_DAY", default=20)
MAX_MESSAGE_FILES = env.int("MAX_MESSAGE_FILES", default=5)
CELERY_BEAT_SCHEDULE["kernel-outbox-drain"] = {"task": "kernel.tasks.outbox_drain", "schedule": timedelta(seconds=30)}
# --- Feedback, the job success score and disputes (contracts/services/feedback.py, score.py, disputes.py) ---
# A contract counts fully for this many days after it ended, half as much until the horizon, then not at all.
JOB_SUCCESS_RECENT_DAYS = env.int("JOB_SUCCESS_RECENT_DAYS", default=365)
JOB_SUCCESS_HORIZON_DAYS = env.int("JOB_SUCCESS_HORIZON_DAYS", default=730)
# A contract still running after this many days, with money paid, counts as a success.
JOB_SUCCESS_LONG_RUNNING_DAYS = env.int("JOB_SUCCESS_LONG_RUNNING_DAYS", default=90)
# Each contract weighs what was paid into it, within these bounds (so one huge contract cannot decide alone).
JOB_SUCCESS_MIN_WEIGHT_CENTS = env.int("JOB_SUCCESS_MIN_WEIGHT_CENTS", default=10_000)
JOB_SUCCESS_MAX_WEIGHT_CENTS = env.int("JOB_SUCCESS_MAX_WEIGHT_CENTS", default=1_000_000)
# The client's overall rating (in tenths of a star) at or above which a paid contract is a success, at or below
# which it is a failure; between them it does not count.
JOB_SUCCESS_GOOD_RATING_TENTHS = env.int("JOB_SUCCESS_GOOD_RATING_TENTHS", default=40)
JOB_SUCCESS_POOR_RATING_TENTHS = env.int("JOB_SUCCESS_POOR_RATING_TENTHS", default=20)
# The other party is reminded this many hours before its DISPUTE_RESPONSE_DAYS run out; then staff decide.
DISPUTE_REMINDER_HOURS = env.int("DISPUTE_REMINDER_HOURS", default=24)
DISPUTE_MAX_FILES = env.int("DISPUTE_MAX_FILES", default=5)
