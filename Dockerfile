FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
# DejaVu Sans: invoice and statement PDFs print any script with it (without it, Helvetica and Latin-1 only).
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY marketplace ./marketplace
COPY accounts ./accounts
COPY jobs ./jobs
COPY contracts ./contracts
COPY payments ./payments
COPY messaging ./messaging
RUN pip install .
COPY . .
# DEBUG off, as in production, so the manifest storage writes its manifest; the key is used for nothing else.
RUN SECRET_KEY=collectstatic-only ALLOWED_HOSTS=localhost python manage.py collectstatic --noinput
RUN useradd --create-home app && mkdir -p /app/var && chown -R app /app/var
USER app
EXPOSE 8000
CMD ["uvicorn", "marketplace.asgi:application", "--host", "0.0.0.0", "--port", "8000", "--proxy-headers"]
