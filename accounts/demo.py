"""Demo accounts for `manage.py seed_demo`: clients, an organization with a finance member, staff, freelancers.

Idempotent: every person is keyed on their e-mail address and left alone once they exist, so running the seed
twice changes nothing. Everything is made through the same services the pages use.
"""

from collections.abc import Callable
from datetime import time

from allauth.account.models import EmailAddress
from django.db import transaction

from accounts.models import Membership, Organization, Role, Skill, User
from accounts.services.invitations import invitation_accept, invitation_create
from accounts.services.organizations import organization_create
from accounts.services.profiles import freelancer_profile_create, profile_update

DEMO_PASSWORD = "demo-pass-2026"

CLIENTS = [
    # email, first, last, organization, country, zone
    ("client@demo.test", "Clara", "Whitfield", "Northwind Studio", "US", "America/New_York"),
    ("client2@demo.test", "Kenji", "Morita", "Kaiju Labs", "JP", "Asia/Tokyo"),
]

# email, first, last, country, zone, start, end, rate $, level, headline, skills, languages
FREELANCERS = [
    (
        "freelancer@demo.test",
        "Inês",
        "Carvalho",
        "PT",
        "Europe/Lisbon",
        "09:00",
        "17:00",
        65,
        "expert",
        "Django & PostgreSQL developer for SaaS products",
        ["Python", "Django", "PostgreSQL", "REST API Design", "Docker"],
        [("pt", "native"), ("en", "fluent")],
    ),
    (
        "amara@demo.test",
        "Amara",
        "Okafor",
        "NG",
        "Africa/Lagos",
        "08:00",
        "16:00",
        45,
        "intermediate",
        "Full-stack JavaScript developer (React, Node.js)",
        ["JavaScript", "React", "Node.js", "TypeScript"],
        [("en", "native"), ("fr", "conversational")],
    ),
    (
        "lucas@demo.test",
        "Lucas",
        "Ferreira",
        "BR",
        "America/Sao_Paulo",
        "10:00",
        "18:00",
        40,
        "intermediate",
        "Mobile developer: Flutter and React Native apps",
        ["Flutter", "React Native", "Android Development", "iOS Development"],
        [("pt-br", "native"), ("en", "fluent")],
    ),
    (
        "priya@demo.test",
        "Priya",
        "Raman",
        "IN",
        "Asia/Kolkata",
        "10:30",
        "18:30",
        35,
        "expert",
        "Data scientist: forecasting, NLP and dashboards",
        ["Python", "Machine Learning", "Data Science", "PostgreSQL"],
        [("en", "fluent"), ("hi", "native")],
    ),
    (
        "sofia@demo.test",
        "Sofía",
        "Méndez",
        "CO",
        "America/Bogota",
        "08:00",
        "16:00",
        38,
        "intermediate",
        "Product designer for web and mobile",
        ["UI Design", "UX Design", "Figma", "Design Systems"],
        [("es", "native"), ("en", "fluent")],
    ),
    (
        "jonas@demo.test",
        "Jonas",
        "Becker",
        "DE",
        "Europe/Berlin",
        "09:00",
        "17:00",
        90,
        "expert",
        "Cloud architect: AWS, Kubernetes, Terraform",
        ["AWS", "Kubernetes", "Terraform", "DevOps", "Docker"],
        [("de", "native"), ("en", "fluent")],
    ),
    (
        "mei@demo.test",
        "Mei",
        "Lin",
        "TW",
        "Asia/Taipei",
        "09:30",
        "18:30",
        55,
        "expert",
        "English–Chinese translator for software and games",
        ["Translation English-Chinese", "Localization", "Proofreading"],
        [("zh-hant", "native"), ("en", "fluent")],
    ),
    (
        "liam@demo.test",
        "Liam",
        "O'Connor",
        "IE",
        "Europe/Dublin",
        "08:30",
        "16:30",
        60,
        "expert",
        "B2B SaaS copywriter and content strategist",
        ["Copywriting", "Content Marketing", "Search Engine Optimization (SEO)"],
        [("en", "native")],
    ),
    (
        "hana@demo.test",
        "Hana",
        "Suzuki",
        "JP",
        "Asia/Tokyo",
        "10:00",
        "19:00",
        70,
        "expert",
        "iOS engineer (Swift, SwiftUI) shipping since 2014",
        ["Swift", "iOS Development", "Mobile App Design"],
        [("ja", "native"), ("en", "fluent")],
    ),
    (
        "tom@demo.test",
        "Tom",
        "Harris",
        "AU",
        "Australia/Sydney",
        "07:00",
        "15:00",
        80,
        "expert",
        "Growth marketer: paid search, analytics, CRO",
        ["Google Ads", "Google Analytics", "Conversion Rate Optimization", "Growth Marketing"],
        [("en", "native")],
    ),
    (
        "zara@demo.test",
        "Zara",
        "Ahmed",
        "PK",
        "Asia/Karachi",
        "14:00",
        "22:00",
        25,
        "intermediate",
        "Virtual assistant and customer support lead",
        ["Virtual Assistance", "Customer Support", "Zendesk", "Data Entry"],
        [("ur", "native"), ("en", "fluent")],
    ),
    (
        "mateo@demo.test",
        "Mateo",
        "Rossi",
        "IT",
        "Europe/Rome",
        "09:00",
        "18:00",
        50,
        "intermediate",
        "Brand identity and logo designer",
        ["Logo Design", "Brand Identity", "Adobe Illustrator", "Typography"],
        [("it", "native"), ("en", "fluent")],
    ),
    (
        "grace@demo.test",
        "Grace",
        "Mensah",
        "GH",
        "Africa/Accra",
        "09:00",
        "17:00",
        30,
        "entry",
        "Bookkeeper: QuickBooks and Xero for small businesses",
        ["Bookkeeping", "QuickBooks", "Xero", "Payroll"],
        [("en", "fluent")],
    ),
    (
        "ahmet@demo.test",
        "Ahmet",
        "Yılmaz",
        "TR",
        "Europe/Istanbul",
        "10:00",
        "18:00",
        42,
        "intermediate",
        "Go and Rust backend engineer",
        ["Go", "Rust", "PostgreSQL", "Redis"],
        [("tr", "native"), ("en", "fluent")],
    ),
    (
        "olivia@demo.test",
        "Olivia",
        "Brown",
        "CA",
        "America/Vancouver",
        "22:00",
        "06:00",
        75,
        "expert",
        "Night-owl DevOps engineer covering Asia-Pacific hours",
        ["DevOps", "Linux Administration", "CI/CD", "Google Cloud"],
        [("en", "native"), ("fr", "basic")],
    ),
    (
        "nikos@demo.test",
        "Nikos",
        "Papadopoulos",
        "GR",
        "Europe/Athens",
        "09:00",
        "17:00",
        58,
        "expert",
        "Financial modeler for startups and fundraising",
        ["Financial Modeling", "Pitch Decks", "Fundraising", "Excel"],
        [("el", "native"), ("en", "fluent")],
    ),
    (
        "ana@demo.test",
        "Ana",
        "López",
        "MX",
        "America/Mexico_City",
        "09:00",
        "17:00",
        32,
        "intermediate",
        "Spanish copywriter and translator",
        ["Translation English-Spanish", "Copywriting", "Localization"],
        [("es", "native"), ("en", "fluent")],
    ),
    (
        "kwame@demo.test",
        "Kwame",
        "Asante",
        "KE",
        "Africa/Nairobi",
        "08:00",
        "16:00",
        28,
        "entry",
        "Junior Django developer eager for long-term work",
        ["Python", "Django", "JavaScript"],
        [("en", "fluent"), ("sw", "native")],
    ),
    (
        "elin@demo.test",
        "Elin",
        "Nilsson",
        "SE",
        "Europe/Stockholm",
        "08:00",
        "16:00",
        85,
        "expert",
        "UX researcher: interviews, usability tests, synthesis",
        ["UX Research", "UX Design", "Interaction Design"],
        [("sv", "native"), ("en", "fluent")],
    ),
    (
        "rahul@demo.test",
        "Rahul",
        "Mehta",
        "NP",
        "Asia/Kathmandu",
        "09:00",
        "17:00",
        22,
        "intermediate",
        "Video editor and motion graphics artist",
        ["Video Editing", "Motion Graphics", "Adobe After Effects", "Adobe Premiere Pro"],
        [("ne", "native"), ("en", "fluent")],
    ),
]

Log = Callable[[str], None]


def _ensure_user(email: str, first: str, last: str, *, superuser: bool = False) -> tuple[User, bool]:
    existing = User.objects.filter(email=email).first()
    if existing:
        return existing, False
    if superuser:
        user = User.objects.create_superuser(email=email, password=DEMO_PASSWORD, first_name=first, last_name=last)
    else:
        user = User.objects.create_user(email=email, password=DEMO_PASSWORD, first_name=first, last_name=last)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user, True


def _overview(first: str, headline: str, skills: list[str]) -> str:
    return (
        f"Hi, I'm {first}. {headline}. I have worked with teams on four continents and I care about clear "
        f"communication, small steady deliveries and written handovers. My main tools: {', '.join(skills)}. "
        "Tell me about your project and the overlap you need with your working hours."
    )


@transaction.atomic
def seed_accounts(*, log: Log) -> None:
    """Demo people and organizations (safe to run again: existing e-mails are skipped)."""
    staff, created = _ensure_user("staff@demo.test", "Sam", "Staff", superuser=True)
    if created:
        log(f"  staff {staff.email} (superuser)")

    for email, first, last, org_name, country, zone in CLIENTS:
        user, created = _ensure_user(email, first, last)
        if created:
            organization = organization_create(owner=user, name=org_name, country=country, timezone=zone)
            log(f"  client {email}: owner of {organization.name} ({zone})")

    northwind = Organization.objects.filter(memberships__user__email="client@demo.test").first()
    finance, created = _ensure_user("finance@demo.test", "Frank", "Ledger")
    if created and northwind and not Membership.objects.filter(organization=northwind, user=finance).exists():
        owner = User.objects.get(email="client@demo.test")
        invitation = invitation_create(
            actor=owner, organization_id=northwind.pk, email=finance.email, role=Role.FINANCE
        )
        invitation_accept(user=finance, token=invitation.token)
        log(f"  client {finance.email}: finance in {northwind.name}")

    skills = {s.name: s.pk for s in Skill.objects.all()}
    for email, first, last, country, zone, start, end, rate, level, headline, skill_names, languages in FREELANCERS:
        user, created = _ensure_user(email, first, last)
        if not created:
            continue
        profile = freelancer_profile_create(user=user, timezone=zone)
        profile_update(
            profile=profile,
            headline=headline,
            overview=_overview(first, headline, skill_names),
            hourly_rate_cents=rate * 100,
            country=country,
            timezone=zone,
            work_start=time.fromisoformat(start),
            work_end=time.fromisoformat(end),
            availability_hours_per_week=30 if level == "entry" else 40,
            experience_level=level,
            skill_ids=[skills[name] for name in skill_names],
            languages=languages,
        )
        log(f"  freelancer {email}: {headline} ({zone}, ${rate}/h)")
