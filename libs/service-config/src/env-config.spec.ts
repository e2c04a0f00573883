import { CommonConfigSchema, ConfigError, loadConfig } from './env-config';

describe('loadConfig', () => {
  const schema = {
    PORT: { type: 'int', default: 3000, min: 1, max: 65535, description: 'HTTP port' },
    MODE: { type: 'enum', values: ['a', 'b'], description: 'mode' },
    BROKERS: { type: 'list', default: ['x:1'], description: 'brokers' },
    DEBUG: { type: 'bool', default: false, description: 'debug' },
  } as const;

  it('applies defaults and parses typed values', () => {
    const config = loadConfig(schema, { MODE: 'b', BROKERS: 'h1:9092, h2:9092', DEBUG: 'true' });
    expect(config).toEqual({ PORT: 3000, MODE: 'b', BROKERS: ['h1:9092', 'h2:9092'], DEBUG: true });
  });

  it('takes an explicitly empty string as empty, and a blank number as its default', () => {
    const s = { ADDRESS: { type: 'string', default: 'host:1', description: 'peer' }, N: { type: 'int', default: 3, description: 'n' } } as const;
    expect(loadConfig(s, { ADDRESS: '', N: ' ' })).toEqual({ ADDRESS: '', N: 3 });
    expect(loadConfig(s, {})).toEqual({ ADDRESS: 'host:1', N: 3 });
  });

  it('reports every problem at once with the variable names', () => {
    try {
      loadConfig(schema, { PORT: '99999', DEBUG: 'maybe' });
      throw new Error('should have thrown');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems;
      expect(problems).toHaveLength(3);
      expect(problems.join('\n')).toMatch(/PORT=99999 is above the maximum 65535/);
      expect(problems.join('\n')).toMatch(/MODE is required/);
      expect(problems.join('\n')).toMatch(/DEBUG="maybe" must be true or false/);
    }
  });

  it('rejects a malformed MySQL URL and unknown profile', () => {
    expect(() => loadConfig(CommonConfigSchema, { MYSQL_URL: 'postgres://x', RECMESH_PROFILE: 'cloud' })).toThrow(
      /RECMESH_PROFILE="cloud" must be one of embedded, kafka-mysql[\s\S]*MYSQL_URL.*does not match/,
    );
  });
});
