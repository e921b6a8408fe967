interface SchemaError {
  instancePath: string
  message?: string
  params: Record<string, unknown>
}

/** A configuration that cannot start the server. Its message names each bad variable, never its value. */
export class ConfigError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'ConfigError'
  }

  /** The ConfigError for a failed validation (one with ajv's `errors`); any other error as it was. */
  static from (error: unknown): unknown {
    const errors = (error as { errors?: SchemaError[] }).errors
    return Array.isArray(errors) ? ConfigError.fromSchemaErrors(errors) : error
  }

  static fromSchemaErrors (errors: SchemaError[]): ConfigError {
    const problems = errors.map((error) => {
      const name = error.instancePath.slice(1) || String(error.params.missingProperty)
      const allowed = error.params.allowedValues as unknown[] | undefined
      const pattern = error.params.pattern as string | undefined
      const what = allowed ? `must be one of ${allowed.join(', ')}` : pattern ? `must match ${pattern}` : error.message
      return `${name} ${what}`
    })
    return new ConfigError(`Invalid configuration: ${[...new Set(problems)].join('; ')}`)
  }
}
