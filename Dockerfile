# The GitHub App in a container: `ssot-bot serve` by default, `worker` for Redis mode
# (compose.yaml runs both). The credentials come from the environment, e.g. the env file
# `ssot-bot setup` writes (`docker run --env-file ssot-bot.env -p 8080:8080 ssot-bot`).
FROM python:3.13-slim AS build
WORKDIR /src
COPY . .
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.13-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=8080
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --find-links /wheels 'ssot-bot[app]' && rm -rf /wheels \
    && useradd --system --uid 10001 --create-home --home-dir /home/ssot ssot
USER ssot
WORKDIR /home/ssot
EXPOSE 8080
# Ready, not just alive: /readyz answers 503 while the audit pool or Redis is down. A
# worker (no web port) answers on SSOT_METRICS_PORT instead.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; port = os.environ.get('SSOT_METRICS_PORT') or os.environ['PORT']; urllib.request.urlopen(f'http://127.0.0.1:{port}/readyz', timeout=4)"]
ENTRYPOINT ["ssot-bot"]
CMD ["serve"]
