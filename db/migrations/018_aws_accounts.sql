-- A company's own AWS account (issue 14 item 5): the role we assume in it, with an ExternalId we generated (the
-- trust policy's sts:ExternalId condition, so no one else's install can be tricked into assuming it), and the
-- region its instances are in. No row: the company's commands go out with the install's own credentials.
CREATE TABLE aws_accounts (
  company_id   text PRIMARY KEY REFERENCES companies(id) ON DELETE CASCADE,
  -- Empty until the company admin saves its role (the ExternalId comes first: it goes into the role's policy).
  role_arn     text NOT NULL DEFAULT '' CHECK (length(role_arn) <= 2048),
  region       text NOT NULL DEFAULT '' CHECK (length(region) <= 40),
  external_id  text NOT NULL CHECK (length(external_id) BETWEEN 32 AND 96),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
