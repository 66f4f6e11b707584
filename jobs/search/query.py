"""Job search and talent search: one module, two database paths.

PostgreSQL: full-text search over a stored, GIN-indexed tsvector. Relevance is ranked among a bounded candidate set
(the newest SEARCH_CANDIDATES matches, walked in an order a btree already gives), never over every match; skills
filter through a GIN-indexed int[] with `@>`; no count(*) (page size + 1 tells whether there is more); the tsvector
column is never loaded. See ENVIRONMENT.md "Search at marketplace scale" for the measurements behind each choice.

SQLite (the embedded default): the same filters, with words matched by icontains over title, description and skill
names, skills through the many-to-many table, and a simple weighted score (title above skills above description)."""

import dataclasses
import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import (
    Case,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone

from accounts.models import FreelancerProfile, ProfileLanguage
from accounts.selectors import shown_to_public
from jobs.models import Job, TalentIndex
from jobs.search.index import SEARCH_CONFIG
from jobs.search.params import JobSearchParams, TalentSearchParams
from kernel.windows import MINUTES_PER_DAY, UtcWindow, overlap_minutes, to_utc

MAX_WORDS = 8
# Talent relevance multiplies the text rank by (this + job success score): a score of 100 counts 1.5 times a new
# profile's rank (which counts as a score of RELEVANCE_SCORE_BASE), a score of 0 half as much.
RELEVANCE_SCORE_BASE = 50


@dataclasses.dataclass(frozen=True)
class JobHit:
    job: Job
    overlap_minutes: int | None  # daily overlap with the searching freelancer's hours; None without a profile

    @property
    def overlap_hours(self) -> float | None:
        return None if self.overlap_minutes is None else round(self.overlap_minutes / 60, 2)


@dataclasses.dataclass(frozen=True)
class TalentHit:
    profile: FreelancerProfile
    overlap_minutes: int

    @property
    def overlap_hours(self) -> float:
        return round(self.overlap_minutes / 60, 2)


@dataclasses.dataclass(frozen=True)
class SearchPage:
    results: list
    page: int
    has_more: bool


def overlap_minutes_expression(start_field: str, length_field: str, other: UtcWindow):
    """SQL for `kernel.windows.overlap_minutes` between a stored window and a constant one (same three shifts)."""
    total: Any = None
    for shift in (-MINUTES_PER_DAY, 0, MINUTES_PER_DAY):
        begin = other.start_minute + shift
        linear = Greatest(
            Value(0),
            Least(F(start_field) + F(length_field), Value(begin + other.minutes))
            - Greatest(F(start_field), Value(begin)),
            output_field=IntegerField(),
        )
        total = linear if total is None else total + linear
    return total


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _words(q: str) -> list[str]:
    return q.split()[:MAX_WORDS]


def _slice(queryset_or_list, page: int, page_size: int) -> tuple[list, bool]:
    offset = (page - 1) * page_size
    rows = list(queryset_or_list[offset : offset + page_size + 1])
    return rows[:page_size], len(rows) > page_size


def _job_filters(queryset: QuerySet[Job], params: JobSearchParams, window: UtcWindow | None) -> QuerySet[Job]:
    if params.skill_ids:
        if _postgres():
            queryset = queryset.filter(skill_ids__contains=list(params.skill_ids))
        else:
            for skill_id in params.skill_ids:
                queryset = queryset.filter(
                    Exists(Job.skills.through.objects.filter(job_id=OuterRef("pk"), skill_id=skill_id))
                )
    if params.budget_type:
        queryset = queryset.filter(budget_type=params.budget_type)
    # A job is within the budget range when its own range (or fixed amount) meets it.
    if params.budget_min_cents is not None:
        queryset = queryset.filter(
            Q(budget_type=Job.BudgetType.HOURLY, rate_max_cents__gte=params.budget_min_cents)
            | Q(budget_type=Job.BudgetType.FIXED, fixed_amount_cents__gte=params.budget_min_cents)
        )
    if params.budget_max_cents is not None:
        queryset = queryset.filter(
            Q(budget_type=Job.BudgetType.HOURLY, rate_min_cents__lte=params.budget_max_cents)
            | Q(budget_type=Job.BudgetType.FIXED, fixed_amount_cents__lte=params.budget_max_cents)
        )
    if params.experience_levels:
        queryset = queryset.filter(experience_level__in=params.experience_levels)
    if params.durations:
        queryset = queryset.filter(duration__in=params.durations)
    if params.posted_within_days:
        queryset = queryset.filter(published_at__gte=timezone.now() - dt.timedelta(days=params.posted_within_days))
    if params.published_after is not None:
        queryset = queryset.filter(published_at__gt=params.published_after)
    if params.fits_my_hours and window is not None:
        queryset = queryset.alias(
            shared_minutes=overlap_minutes_expression("work_utc_start_minute", "work_minutes", window)
        ).filter(shared_minutes__gte=F("overlap_hours") * 60)
    return queryset


def _sqlite_text(queryset: QuerySet, q: str, fields: tuple[str, str], skill_exists) -> QuerySet:
    """Every word must appear in the first field, the second or a skill name; score: 4 / 1 / 2 per word."""
    primary, secondary = fields
    score: Any = Value(0)
    for word in _words(q):
        skill_hit = skill_exists(word)
        queryset = queryset.filter(
            Q(**{f"{primary}__icontains": word}) | Q(**{f"{secondary}__icontains": word}) | skill_hit
        )
        score = score + Case(When(**{f"{primary}__icontains": word}, then=Value(4)), default=Value(0))
        score = score + Case(When(skill_hit, then=Value(2)), default=Value(0))
        score = score + Case(When(**{f"{secondary}__icontains": word}, then=Value(1)), default=Value(0))
    return queryset.annotate(rank=score)


def _window_of(user) -> UtcWindow | None:
    if not user.is_authenticated:
        return None
    row = FreelancerProfile.objects.filter(user=user).values_list("work_utc_start_minute", "work_minutes").first()
    return UtcWindow(*row) if row else None


def job_candidates(base: QuerySet[Job], query: SearchQuery) -> QuerySet:
    """PostgreSQL: the ids of the newest SEARCH_CANDIDATES matches, the only rows that get ranked."""
    return base.filter(search_vector=query).order_by("-published_at", "-id").values("id")[: settings.SEARCH_CANDIDATES]


def job_base(params: JobSearchParams, window: UtcWindow | None) -> QuerySet[Job]:
    """Open public jobs through every filter of `params` except the words."""
    return _job_filters(Job.objects.filter(status=Job.Status.OPEN, visibility=Job.Visibility.PUBLIC), params, window)


def job_search(*, params: JobSearchParams, user, page_size: int | None = None) -> SearchPage:
    """Open public jobs matching `params`, a page at a time; each hit carries its overlap with the user's hours."""
    page_size = page_size or settings.SEARCH_PAGE_SIZE
    window = _window_of(user)
    base = job_base(params, window)
    newest = ("-published_at", "-id")
    if params.q and _postgres():
        query = SearchQuery(params.q, search_type="websearch", config=SEARCH_CONFIG)
        queryset = Job.objects.filter(id__in=job_candidates(base, query))
        if params.sort == "relevance":
            queryset = queryset.annotate(rank=SearchRank(F("search_vector"), query)).order_by("-rank", *newest)
        else:
            queryset = queryset.order_by(*newest)
    elif params.q:
        queryset = _sqlite_text(
            base,
            params.q,
            ("title", "description"),
            lambda word: Exists(Job.skills.through.objects.filter(job_id=OuterRef("pk"), skill__name__icontains=word)),
        )
        queryset = queryset.order_by("-rank", *newest) if params.sort == "relevance" else queryset.order_by(*newest)  # type: ignore[misc]
    else:
        queryset = base.order_by(*newest)
    queryset = queryset.defer("search_vector").select_related("organization").prefetch_related("skills")
    jobs, has_more = _slice(queryset, params.page, page_size)
    hits = [
        JobHit(
            job=job,
            overlap_minutes=overlap_minutes(UtcWindow(job.work_utc_start_minute, job.work_minutes), window)
            if window
            else None,
        )
        for job in jobs
    ]
    return SearchPage(results=hits, page=params.page, has_more=has_more)


def _talent_order(params: TalentSearchParams, rank_available: bool, rate: str, score: str, tiebreak: list[str]):
    if params.sort == "score":
        return [F(score).desc(nulls_last=True), *tiebreak]
    if params.sort == "rate":
        return [F(rate).asc(nulls_last=True), *tiebreak]
    # Relevance weighs the job success score: with words, it scales the text rank; without, it orders alone.
    weight = Value(RELEVANCE_SCORE_BASE) + Coalesce(F(score), Value(RELEVANCE_SCORE_BASE))
    if rank_available:
        return [ExpressionWrapper(F("rank") * weight, output_field=FloatField()).desc(), *tiebreak]
    return [weight.desc(), *tiebreak]


def _listed(prefix: str = "") -> Q:
    """Only complete profiles shown to the public are listed: a headline, an overview and an hourly rate (skills
    are checked by each path; the zone and the working hours always have values), of an account not suspended and
    a profile staff have not hidden."""
    return (
        shown_to_public(prefix)
        & ~Q(**{f"{prefix}headline": ""})
        & ~Q(**{f"{prefix}overview": ""})
        & Q(**{f"{prefix}hourly_rate_cents__isnull": False})
    )


def talent_search(*, params: TalentSearchParams, page_size: int | None = None) -> SearchPage:
    """Freelancers matching `params`; each hit carries its daily overlap with the given working window.

    PostgreSQL reads jobs.TalentIndex (refreshed by `talent_index_refresh`); SQLite reads profiles directly.
    """
    page_size = page_size or settings.SEARCH_PAGE_SIZE
    window = to_utc(timezone=params.timezone, start=params.work_start, end=params.work_end)
    if _postgres():
        profile_ids, has_more = _talent_ids_postgres(params, window, page_size)
    else:
        profile_ids, has_more = _talent_ids_sqlite(params, window, page_size)
    profiles = FreelancerProfile.objects.select_related("user").prefetch_related("skills", "languages")
    by_id = {profile.pk: profile for profile in profiles.filter(pk__in=profile_ids)}
    hits = [
        TalentHit(
            profile=by_id[pk],
            overlap_minutes=overlap_minutes(UtcWindow(by_id[pk].work_utc_start_minute, by_id[pk].work_minutes), window),
        )
        for pk in profile_ids
        if pk in by_id
    ]
    return SearchPage(results=hits, page=params.page, has_more=has_more)


def _talent_ids_postgres(params: TalentSearchParams, window, page_size: int) -> tuple[list[int], bool]:
    queryset = TalentIndex.objects.filter(_listed("profile__")).exclude(skill_ids=[])
    if params.skill_ids:
        queryset = queryset.filter(skill_ids__contains=list(params.skill_ids))
    if params.languages:
        queryset = queryset.filter(language_codes__contains=list(params.languages))
    queryset = _talent_common_filters(queryset, params, window, country="country")
    newest = ["-profile_updated_at", "-profile_id"]
    rank_available = False
    if params.q:
        query = SearchQuery(params.q, search_type="websearch", config=SEARCH_CONFIG)
        candidates = (
            queryset.filter(search_vector=query).order_by(*newest).values("profile_id")[: settings.SEARCH_CANDIDATES]
        )
        queryset = TalentIndex.objects.filter(profile_id__in=candidates).annotate(
            rank=SearchRank(F("search_vector"), query)
        )
        rank_available = True
    order = _talent_order(params, rank_available, "hourly_rate_cents", "job_success_score", newest)
    return _slice(queryset.order_by(*order).values_list("profile_id", flat=True), params.page, page_size)


def _talent_ids_sqlite(params: TalentSearchParams, window, page_size: int) -> tuple[list[int], bool]:
    queryset = FreelancerProfile.objects.filter(
        _listed(), Exists(FreelancerProfile.skills.through.objects.filter(freelancerprofile_id=OuterRef("pk")))
    )
    for skill_id in params.skill_ids:
        queryset = queryset.filter(
            Exists(
                FreelancerProfile.skills.through.objects.filter(freelancerprofile_id=OuterRef("pk"), skill_id=skill_id)
            )
        )
    for code in params.languages:
        queryset = queryset.filter(Exists(ProfileLanguage.objects.filter(profile_id=OuterRef("pk"), code=code)))
    queryset = _talent_common_filters(queryset, params, window, country="country")
    rank_available = bool(params.q)
    if params.q:
        queryset = _sqlite_text(
            queryset,
            params.q,
            ("headline", "overview"),
            lambda word: Exists(
                FreelancerProfile.skills.through.objects.filter(
                    freelancerprofile_id=OuterRef("pk"), skill__name__icontains=word
                )
            ),
        )
    order = _talent_order(params, rank_available, "hourly_rate_cents", "job_success_score", ["-updated_at", "-id"])
    return _slice(queryset.order_by(*order).values_list("pk", flat=True), params.page, page_size)


def _talent_common_filters(queryset: QuerySet, params: TalentSearchParams, window, *, country: str) -> QuerySet:
    if params.rate_min_cents is not None:
        queryset = queryset.filter(hourly_rate_cents__gte=params.rate_min_cents)
    if params.rate_max_cents is not None:
        queryset = queryset.filter(hourly_rate_cents__lte=params.rate_max_cents)
    if params.country:
        queryset = queryset.filter(**{country: params.country})
    if params.min_score is not None:
        queryset = queryset.filter(job_success_score__gte=params.min_score)
    if params.min_overlap_hours:
        queryset = queryset.alias(
            shared_minutes=overlap_minutes_expression("work_utc_start_minute", "work_minutes", window)
        ).filter(shared_minutes__gte=params.min_overlap_hours * 60)
    return queryset
