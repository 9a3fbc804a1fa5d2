// Text from alerts (asset, signature, message, reasons) and names typed by tenants, made safe to put into chat
// markup. Whoever can send an alert chooses that text, so left as it is it could ping a whole Slack channel
// (`<!channel>`), mention someone (`<@U123>`) or show a link whose label lies about where it goes
// (`<http://evil|status page>`, `[status page](http://evil)`). Escaped, it reads the same and does nothing.

/**
 * Slack mrkdwn: `&`, `<` and `>` are its control characters and Slack asks for exactly these three to be
 * HTML-escaped (https://api.slack.com/reference/surfaces/formatting#escaping). Mentions, channel pings and
 * labelled links all start with `<`, so none survives. `*bold*` and `_italics_` stay possible: they only style.
 */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const TEAMS_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/**
 * Microsoft Teams card text (MessageCard `text`, Adaptive Card TextBlock): Markdown plus, in connector cards, a
 * subset of HTML. The Markdown punctuation that links, embeds or styles (`[..](..)`, `*`, `_`, `` ` ``, `~`, and `\`
 * itself) is backslash-escaped so it shows as typed; `<`, `>` and `&` become entities so no tag (`<a>`, `<at>`) is
 * read. Punctuation that only matters at a line's start (`#`, `-`) is left alone: it cannot link or mention.
 */
export function escapeTeams(text: string): string {
  return text.replace(/[\\`*_[\]()~]/g, '\\$&').replace(/[&<>]/g, (c) => TEAMS_ENTITIES[c]!);
}
