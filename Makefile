# The README's two commands: `make up` runs the product on the embedded default
# (PGlite, a generated local key); `make test` installs and starts what the tests need
# (Postgres 15, moto's KMS, a test CA) and runs the unit and integration tiers.
.PHONY: up test bench lint generate verify build install

NODE_MODULES := node_modules/.package-lock.json

$(NODE_MODULES): package.json package-lock.json */package.json sdk/typescript/package.json
	npm ci --no-audit --no-fund
	@touch $@

install: $(NODE_MODULES)

build: install
	npx tsc -b api-server operator

up: build
	bash scripts/up.sh

test:
	bash scripts/test.sh

bench: build
	bash bench/run.sh

lint: install
	npx eslint .
	npx tsc -p tsconfig.json

# Generated files and their verify twin (STYLE 25).
generate: build
	node api-server/dist/main.js openapi > docs/openapi.json
	node -r ./bench/ts-register.js scripts/generate-crd-types.ts > operator/src/generated/crds.ts

verify: build
	@tmp=$$(mktemp); node api-server/dist/main.js openapi > $$tmp; \
	  if ! diff -u docs/openapi.json $$tmp; then echo "docs/openapi.json is stale: run make generate"; rm -f $$tmp; exit 1; fi; rm -f $$tmp
	@tmp=$$(mktemp); node -r ./bench/ts-register.js scripts/generate-crd-types.ts > $$tmp; \
	  if ! diff -u operator/src/generated/crds.ts $$tmp; then echo "operator/src/generated/crds.ts is stale: run make generate"; rm -f $$tmp; exit 1; fi; rm -f $$tmp
