"""Job search benchmark on PostgreSQL: generate N open jobs, then time `jobs.search.job_search` per query shape.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mp_bench .venv/bin/python bench/search_bench.py --jobs 20000

The generated jobs belong to one organization named BENCH_ORG and are reused on the next run (only the missing
ones are added); `--drop` deletes them. Prints median and p95 in milliseconds for each query shape.
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.postgres.search import SearchVector  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import FreelancerProfile, Organization, Skill, User  # noqa: E402
from jobs.models import Job  # noqa: E402
from jobs.search.params import JobSearchParams  # noqa: E402
from jobs.search.query import job_search  # noqa: E402

BENCH_ORG = "Search bench org"
WORDS = [
    "django",
    "react",
    "booking",
    "portal",
    "api",
    "dashboard",
    "mobile",
    "android",
    "ios",
    "design",
    "brand",
    "logo",
    "copy",
    "translation",
    "seo",
    "data",
    "pipeline",
    "analytics",
    "report",
    "invoice",
    "shop",
    "checkout",
    "payments",
    "migration",
    "cloud",
    "docker",
    "kubernetes",
    "testing",
    "audit",
    "accessibility",
    "performance",
    "postgres",
    "search",
    "chat",
    "video",
    "editing",
    "animation",
    "illustration",
    "marketing",
    "email",
]
RARE = ["zeppelin", "quokka", "marzipan", "obsidian", "tamarind"]


def generate(count: int, skills: list[Skill]) -> None:
    organization, _ = Organization.objects.get_or_create(name=BENCH_ORG, defaults={"timezone": "UTC"})
    have = Job.objects.filter(organization=organization).count()
    missing = max(0, count - have)
    if not missing:
        return
    rng = random.Random(42 + have)
    now = timezone.now()
    batch_size = 2000
    for offset in range(0, missing, batch_size):
        rows = []
        for i in range(offset, min(missing, offset + batch_size)):
            title_words = rng.sample(WORDS, 4)
            if rng.random() < 0.002:
                title_words.append(rng.choice(RARE))
            hourly = rng.random() < 0.6
            chosen = rng.sample(skills, k=min(3, len(skills)))
            low = rng.randrange(1500, 8000, 500)
            rows.append(
                Job(
                    organization=organization,
                    title=" ".join(title_words).capitalize(),
                    description=" ".join(rng.choices(WORDS, k=60)),
                    category=chosen[0].category,
                    budget_type="hourly" if hourly else "fixed",
                    rate_min_cents=low if hourly else None,
                    rate_max_cents=low + rng.randrange(500, 5000, 500) if hourly else None,
                    fixed_amount_cents=None if hourly else rng.randrange(20_000, 2_000_000, 10_000),
                    duration=rng.choice(["lt_1m", "1_3m", "3_6m", "gt_6m"]),
                    experience_level=rng.choice(["entry", "intermediate", "expert"]),
                    work_utc_start_minute=rng.randrange(0, 1440, 30),
                    work_minutes=480,
                    overlap_hours=rng.randrange(0, 5),
                    status="open",
                    published_at=now - timezone.timedelta(minutes=have + i),
                    skill_ids=sorted(s.pk for s in chosen),
                )
            )
        with transaction.atomic():
            created = Job.objects.bulk_create(rows)
            through = Job.skills.through
            through.objects.bulk_create(
                [through(job_id=job.pk, skill_id=skill_id) for job in created for skill_id in job.skill_ids]
            )
            # The same vector job_reindex builds: title A, skill names B, description C (skills omitted here for
            # speed; they do not change the plan).
            Job.objects.filter(pk__in=[job.pk for job in created]).update(
                search_vector=SearchVector("title", weight="A", config="english")
                + SearchVector("description", weight="C", config="english")
            )
        print(f"  generated {min(missing, offset + batch_size)}/{missing}", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE jobs_job")


def timed(params: JobSearchParams, user, runs: int) -> tuple[float, float, int]:
    samples = []
    hits = 0
    for _ in range(runs):
        start = time.perf_counter()
        page = job_search(params=params, user=user)
        hits = len(page.results)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, int(round(0.95 * (len(samples) - 1))))]
    return statistics.median(samples), p95, hits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--drop", action="store_true", help="delete the generated jobs and stop")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("This benchmark needs PostgreSQL: set DATABASE_URL=postgres://...")
    if args.drop:
        Organization.objects.filter(name=BENCH_ORG).delete()
        print("dropped")
        return
    skills = list(Skill.objects.all()[:40]) or [
        Skill.objects.get_or_create(slug=f"bench-{i}", defaults={"name": f"Bench {i}", "category": "development"})[0]
        for i in range(10)
    ]
    generate(args.jobs, skills)
    user, _ = User.objects.get_or_create(email="bench-freelancer@example.test")
    FreelancerProfile.objects.get_or_create(user=user, defaults={"work_utc_start_minute": 480, "work_minutes": 480})
    total = Job.objects.filter(status="open").count()
    two_skills = tuple(sorted(s.pk for s in skills[:1]))
    shapes = {
        "newest, no words": JobSearchParams(sort="newest"),
        "common word (relevance)": JobSearchParams(q="django"),
        "two words (relevance)": JobSearchParams(q="booking portal"),
        "rare word": JobSearchParams(q="zeppelin"),
        "word + skill + budget + overlap": JobSearchParams(
            q="react", skill_ids=two_skills, budget_type="hourly", budget_min_cents=3000, fits_my_hours=True
        ),
        "skill filter only, newest": JobSearchParams(skill_ids=two_skills, sort="newest"),
    }
    print(f"{total} open jobs; candidates ranked per query: {settings.SEARCH_CANDIDATES}; {args.runs} runs each")
    print(f"{'query':36} {'median ms':>10} {'p95 ms':>10} {'hits':>6}")
    for name, params in shapes.items():
        timed(params, user, 3)  # warm the cache
        median, p95, hits = timed(params, user, args.runs)
        print(f"{name:36} {median:10.1f} {p95:10.1f} {hits:6}")


if __name__ == "__main__":
    main()
