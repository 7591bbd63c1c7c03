// Page loads for the browser flows.
//
// Chromium abandons a navigation with net::ERR_NETWORK_CHANGED when the host's network
// interfaces change under it (tests running beside this one start servers and containers);
// that says nothing about the app, so a GET that failed so is tried again, twice at most.
// Only page.goto is retried: a form's POST is never sent twice.
export const open = async (page, url) => {
  for (let attempt = 1; ; attempt++) {
    try {
      return await page.goto(url);
    } catch (err) {
      if (attempt >= 3 || !String(err).includes("ERR_NETWORK_CHANGED")) throw err;
    }
  }
};
