FROM busybox AS base
CMD ["sh"]

FROM busybox AS production
CMD ["uvicorn", "invoicing.main:app", "--host", "0.0.0.0", "--port", "8000"]
