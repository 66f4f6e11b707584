"""The shared skill list every profile and job chooses from (about 200 skills across the six categories)."""

from django.db import migrations
from django.utils.text import slugify

SKILLS = {
    "development": [
        "Python", "Django", "Flask", "FastAPI", "JavaScript", "TypeScript", "React", "Vue.js", "Angular", "Svelte",
        "Next.js", "Node.js", "Express.js", "PHP", "Laravel", "WordPress", "Ruby on Rails", "Go", "Rust", "Java",
        "Spring Boot", "Kotlin", "Swift", "iOS Development", "Android Development", "Flutter", "React Native",
        "C#", ".NET", "C++", "PostgreSQL", "MySQL", "MongoDB", "Redis", "GraphQL", "REST API Design", "Docker",
        "Kubernetes", "AWS", "Google Cloud", "Microsoft Azure", "Terraform", "DevOps", "CI/CD", "Linux Administration",
        "Machine Learning", "Data Science", "Data Engineering", "Web Scraping", "Shopify Development",
        "Automated Testing", "Cybersecurity", "Blockchain", "Unity", "Embedded Systems",
    ],
    "design": [
        "UI Design", "UX Design", "UX Research", "Figma", "Sketch", "Adobe Photoshop", "Adobe Illustrator",
        "Adobe InDesign", "Adobe After Effects", "Adobe Premiere Pro", "Logo Design", "Brand Identity",
        "Graphic Design", "Illustration", "Web Design", "Mobile App Design", "Motion Graphics", "Video Editing",
        "3D Modeling", "Blender", "Animation", "Packaging Design", "Print Design", "Presentation Design",
        "Icon Design", "Typography", "Photography", "Photo Retouching", "Infographics", "Design Systems",
        "Interaction Design", "Product Design",
    ],
    "writing": [
        "Copywriting", "Content Writing", "Technical Writing", "Blog Writing", "Ghostwriting", "Editing",
        "Proofreading", "Creative Writing", "Scriptwriting", "Grant Writing", "Resume Writing", "UX Writing",
        "Academic Writing", "Article Writing", "Press Releases", "Speechwriting", "Translation English-Spanish",
        "Translation English-Portuguese", "Translation English-French", "Translation English-German",
        "Translation English-Japanese", "Translation English-Chinese", "Localization", "Transcription",
        "Subtitling", "Book Editing", "Newsletter Writing", "Product Descriptions", "Documentation",
        "Medical Writing", "Legal Writing", "Fact Checking",
    ],
    "marketing": [
        "Search Engine Optimization (SEO)", "Search Engine Marketing (SEM)", "Google Ads", "Facebook Ads",
        "LinkedIn Ads", "Social Media Marketing", "Social Media Management", "Content Marketing",
        "Email Marketing", "Marketing Automation", "HubSpot", "Mailchimp", "Google Analytics",
        "Conversion Rate Optimization", "Growth Marketing", "Influencer Marketing", "Affiliate Marketing",
        "Public Relations", "Market Research", "Brand Strategy", "Lead Generation", "Sales Development",
        "Cold Calling", "B2B Sales", "Salesforce", "Community Management", "Marketing Strategy",
        "Product Marketing", "Amazon Marketing", "App Store Optimization", "Video Marketing", "Event Marketing",
    ],
    "finance": [
        "Bookkeeping", "Accounting", "QuickBooks", "Xero", "Financial Modeling", "Financial Analysis",
        "Financial Reporting", "Tax Preparation", "Payroll", "Accounts Payable", "Accounts Receivable",
        "Budgeting and Forecasting", "Valuation", "Mergers and Acquisitions", "Venture Capital",
        "Fundraising", "Business Plans", "Pitch Decks", "Management Consulting", "Corporate Finance",
        "Auditing", "IFRS", "US GAAP", "Excel", "Cost Accounting", "CFO Services", "Investment Research",
        "Risk Management", "Cryptocurrency Accounting", "Sales Tax", "Financial Planning", "Invoicing",
    ],
    "admin": [
        "Virtual Assistance", "Data Entry", "Customer Support", "Email Support", "Live Chat Support",
        "Phone Support", "Technical Support", "Zendesk", "Intercom", "Calendar Management",
        "Email Management", "Project Management", "Project Coordination", "Scrum", "Jira", "Asana",
        "Notion", "Trello", "Microsoft Office", "Google Workspace", "Research", "Order Processing",
        "Travel Planning", "Event Planning", "CRM Management", "Recruiting", "Human Resources",
        "Executive Assistance", "Community Moderation", "Content Moderation", "Lead Research",
        "Operations Management",
    ],
}

# Names slugify cannot tell apart (or would empty).
SLUGS = {"C#": "csharp", "C++": "cpp", ".NET": "dotnet", "CI/CD": "ci-cd"}


def slug_of(name: str) -> str:
    return SLUGS.get(name) or slugify(name)


def seed(apps, schema_editor):
    Skill = apps.get_model("accounts", "Skill")
    for category, names in SKILLS.items():
        for name in names:
            Skill.objects.get_or_create(slug=slug_of(name), defaults={"name": name, "category": category})


def unseed(apps, schema_editor):
    Skill = apps.get_model("accounts", "Skill")
    slugs = [slug_of(name) for names in SKILLS.values() for name in names]
    Skill.objects.filter(slug__in=slugs, freelancers__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
