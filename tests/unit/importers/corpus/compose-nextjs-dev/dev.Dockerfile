FROM busybox
WORKDIR /app
CMD ["npm", "run", "dev"]
