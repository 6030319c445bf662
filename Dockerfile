# One image for the worker and the API; docker-compose.yml picks the command.
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md ./
COPY . .
RUN pip install --no-cache-dir .
# Production never starts embedded servers: DATABASE_URL and TEMPORAL_ADDRESS point at real ones.
ENV WATTLEDGER_HOME=/var/lib/wattledger
CMD ["python", "worker.py"]
