// Runs integrations/zabbix/alert-whisperer.js as Zabbix does: the body of function (value) {…} with
// Zabbix's HttpRequest and Zabbix objects, recording the requests it makes instead of sending them.
import { readFileSync } from 'node:fs';
import vm from 'node:vm';

export const ZABBIX_SCRIPT = readFileSync(
  new URL('../../integrations/zabbix/alert-whisperer.js', import.meta.url),
  'utf8',
);

export interface ZabbixRequest {
  url: string;
  body: string;
  headers: string[];
}

export function runZabbixScript(params: unknown, status = 202) {
  const requests: ZabbixRequest[] = [];
  class FakeHttpRequest {
    private headers: string[] = [];
    addHeader(h: string) {
      this.headers.push(h);
    }
    setProxy() {}
    post(url: string, body: string) {
      requests.push({ url, body, headers: [...this.headers] });
      return '{"status":"accepted"}';
    }
    getStatus() {
      return status;
    }
  }
  const context = vm.createContext({ HttpRequest: FakeHttpRequest, Zabbix: { log: () => undefined } });
  const fn = vm.runInContext(`(function (value) {\n${ZABBIX_SCRIPT}\n})`, context) as (value: string) => unknown;
  let result: unknown;
  let thrown: unknown;
  try {
    result = fn(JSON.stringify(params));
  } catch (e) {
    thrown = e;
  }
  return { result, thrown, requests };
}

/** A recorded request's headers ("Name: value" lines) as an object, for fetch. */
export function headerObject(headers: string[]): Record<string, string> {
  return Object.fromEntries(
    headers.map((h) => [h.slice(0, h.indexOf(':')).trim(), h.slice(h.indexOf(':') + 1).trim()]),
  );
}
