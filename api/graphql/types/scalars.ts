import { GraphQLError } from 'graphql';
import { builder } from '../builder.ts';

/** ISO-8601 timestamps, kept as strings end to end. */
builder.scalarType('DateTime', {
  serialize: (value) => String(value),
  parseValue: (value) => {
    if (typeof value !== 'string' || Number.isNaN(Date.parse(value)))
      throw new GraphQLError('DateTime must be an ISO-8601 string');
    return value;
  },
});

/** Free-form JSON: company settings, validated against domain/company-settings.ts where they are written. */
builder.scalarType('JSON', {
  serialize: (value) => value,
  parseValue: (value) => value,
});
