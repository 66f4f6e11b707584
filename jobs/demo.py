"""Demo jobs for `make run` (a seed_demo step): a dozen realistic open jobs from the demo clients, one proposal,
and a fresh talent index. Idempotent: a job whose title already exists in its organization is left alone."""

import datetime as dt
from collections.abc import Callable

from django.db import transaction

from accounts.models import Membership, Role, Skill, User
from jobs.models import Job, Proposal
from jobs.search.index import talent_index_refresh_stale
from jobs.services.jobs import JobFields, job_create, job_publish
from jobs.services.proposals import proposal_submit

Log = Callable[[str], None]

# owner email, title, skills, budget (hourly min–max $ or fixed $), duration, level, start, end, overlap, description
JOBS = [
    (
        "client@demo.test",
        "Django developer to build a client portal",
        ["Python", "Django", "PostgreSQL"],
        ("hourly", 45, 80),
        "1_3m",
        "expert",
        "09:00",
        "17:00",
        3,
        "We need a secure client portal for our studio: logins, file sharing and invoices, built on Django with tests.",
    ),
    (
        "client@demo.test",
        "Brand refresh for a design studio",
        ["Figma", "Brand Identity"],
        ("fixed", 3500),
        "lt_1m",
        "intermediate",
        "09:00",
        "17:00",
        2,
        "A new logo, colour palette and a small brand guide for Northwind Studio's tenth anniversary.",
    ),
    (
        "client@demo.test",
        "React front-end for a booking widget",
        ["React", "TypeScript"],
        ("hourly", 40, 70),
        "1_3m",
        "intermediate",
        "10:00",
        "18:00",
        2,
        "An embeddable booking widget in React and TypeScript that talks to our existing REST API.",
    ),
    (
        "client@demo.test",
        "Technical writer for API documentation",
        ["Technical Writing"],
        ("fixed", 1800),
        "lt_1m",
        "intermediate",
        "09:00",
        "17:00",
        0,
        "Write clear reference docs and two tutorials for our public REST API. Async work is fine.",
    ),
    (
        "client@demo.test",
        "SEO audit of a marketing site",
        ["Search Engine Optimization (SEO)"],
        ("fixed", 900),
        "lt_1m",
        "entry",
        "09:00",
        "17:00",
        1,
        "Audit our marketing site and write a prioritised list of fixes with expected impact.",
    ),
    (
        "client@demo.test",
        "PostgreSQL performance tuning",
        ["PostgreSQL"],
        ("hourly", 70, 120),
        "lt_1m",
        "expert",
        "08:00",
        "16:00",
        4,
        "Our reporting queries got slow at 50M rows. Find the causes, add indexes, and teach us what you did.",
    ),
    (
        "client2@demo.test",
        "iOS app polish before launch",
        ["Swift", "iOS Development"],
        ("hourly", 50, 90),
        "1_3m",
        "expert",
        "10:00",
        "18:00",
        2,
        "Fix layout bugs, improve accessibility and speed up launch time of our Swift app before the App Store launch.",
    ),
    (
        "client2@demo.test",
        "Japanese to English game localisation",
        ["Translation English-Japanese", "Localization"],
        ("fixed", 2400),
        "1_3m",
        "intermediate",
        "10:00",
        "18:00",
        0,
        "Localise about 30,000 characters of in-game dialogue from Japanese to natural English.",
    ),
    (
        "client2@demo.test",
        "Data pipeline for sensor readings",
        ["Python", "Data Engineering"],
        ("hourly", 45, 75),
        "3_6m",
        "intermediate",
        "09:00",
        "17:00",
        2,
        "Ingest readings from 2,000 devices, clean them and produce daily summaries our team can query.",
    ),
    (
        "client2@demo.test",
        "Docker and CI setup for a monorepo",
        ["Docker", "DevOps"],
        ("fixed", 2000),
        "lt_1m",
        "expert",
        "09:00",
        "17:00",
        1,
        "Containerise three services and set up CI that runs tests and builds images on every merge.",
    ),
    (
        "client2@demo.test",
        "Community manager for a game launch",
        ["Social Media Marketing"],
        ("hourly", 20, 35),
        "3_6m",
        "entry",
        "19:00",
        "03:00",
        4,
        "Run our Discord and X accounts around launch; evenings in Tokyo, which may suit the Americas.",
    ),
    (
        "client2@demo.test",
        "Bookkeeping for a small studio",
        ["Bookkeeping"],
        ("hourly", 25, 40),
        "gt_6m",
        "intermediate",
        "09:00",
        "17:00",
        0,
        "Monthly bookkeeping and reconciliation for a 12-person studio; async work with a monthly call.",
    ),
]


def _skills(names: list[str]) -> list[Skill]:
    return list(Skill.objects.filter(name__in=names))


def seed_jobs(*, log: Log) -> None:
    for email, title, skill_names, budget, duration, level, start, end, overlap, description in JOBS:
        membership = (
            Membership.objects.filter(user__email=email, role=Role.OWNER).select_related("user", "organization").first()
        )
        if membership is None or Job.objects.filter(organization=membership.organization, title=title).exists():
            continue
        skills = _skills(skill_names)
        if not skills:
            continue
        hourly = budget[0] == "hourly"
        fields = JobFields(
            title=title,
            description=description,
            skill_ids=[s.pk for s in skills],
            category=skills[0].category,
            budget_type=Job.BudgetType.HOURLY if hourly else Job.BudgetType.FIXED,
            rate_min_cents=budget[1] * 100 if hourly else None,
            rate_max_cents=budget[2] * 100 if hourly else None,
            fixed_amount_cents=None if hourly else budget[1] * 100,
            duration=duration,
            experience_level=level,
            work_start=dt.time.fromisoformat(start),
            work_end=dt.time.fromisoformat(end),
            overlap_hours=overlap,
            questions=["What similar work have you done?"] if overlap >= 3 else [],
        )
        with transaction.atomic():
            job = job_create(user=membership.user, organization_id=membership.organization_id, fields=fields)
            job_publish(user=membership.user, job_id=job.pk)
        log(f"  job “{title}” for {membership.organization.name}")
    _seed_proposal(log)
    refreshed = talent_index_refresh_stale()
    if refreshed:
        log(f"  talent index: {refreshed} profiles")


def _seed_proposal(log: Log) -> None:
    freelancer = User.objects.filter(email="freelancer@demo.test", freelancer_profile__isnull=False).first()
    job = Job.objects.filter(title="Django developer to build a client portal", status=Job.Status.OPEN).first()
    if freelancer is None or job is None or Proposal.objects.filter(job=job, freelancer__user=freelancer).exists():
        return
    proposal_submit(
        user=freelancer,
        job_id=job.pk,
        cover_letter="I build Django portals for agencies; the last one handles 4,000 clients. Happy to show it.",
        estimated_duration="1_3m",
        rate_cents=6500,
        answers={q.pk: "A client portal for an architecture firm, Django + PostgreSQL." for q in job.questions.all()},
    )
    log(f"  proposal from {freelancer.email} on “{job.title}”")
